//! The data stack in secure mode: numpy, pandas and matplotlib from PyPI
//! wheels, with the standard library around them, under every layer
//! (the seccomp allow-list above all: their native code makes calls a
//! plain interpreter never does).
//!
//! The packages come from `.ci/data-stack`, which installs the versions
//! pinned in `.ci/data-stack.txt` into `target/data-stack/venv`; the test
//! runs that venv's interpreter. A missing venv fails the test, saying how
//! to install it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::tier::{Tier, require};
use sandbox_client::{ClientConfig, ExecutionMode, PolicyChoice, SandboxClient, Status};
use serde_json::{Value, json};

const INSTALL: &str = "install the data stack with `bash .ci/setup` (or `bash .ci/data-stack`)";

/// A realistic analysis program, touching what such programs use: BLAS
/// threads, dataframes and CSV files, a PNG, threads, a fork pool (and
/// no subprocess: nothing is executed in a sandbox), asyncio over a unix socket, sqlite, an SSL context, mmap,
/// shared memory, a signal, locale, temp files and copies. It prints one
/// JSON object.
const PROGRAM: &str = r#"
import asyncio, json, locale, mmap, multiprocessing, os, resource, shutil, signal
import sqlite3, ssl, subprocess, sys, tempfile, threading, time
from multiprocessing import shared_memory

# The sandbox defaults to one BLAS thread; a program may ask for more.
os.environ["OPENBLAS_NUM_THREADS"] = "2"
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

out = {}
start = time.monotonic()

# numpy: linear algebra through OpenBLAS, whose threads start on first use.
rng = np.random.default_rng(7)
a = rng.standard_normal((300, 300))
spd = a @ a.T + 300 * np.eye(300)
x = np.linalg.solve(spd, np.ones(300))
out["solve"] = bool(np.allclose(spd @ x, 1.0))
out["eigen_positive"] = bool((np.linalg.eigvalsh(spd) > 0).all())
out["svd_rank"] = int(np.linalg.matrix_rank(a[:50, :40]))
out["blas_threads"] = len(os.listdir("/proc/self/task")) >= min(2, os.cpu_count())

# pandas: groupby, merge, CSV out and back, time zones (tzdata).
sales = pd.DataFrame({
    "city": ["Lyon", "Paris", "Lyon", "Nice", "Paris", "Paris"],
    "amount": [10.5, 20.0, 4.5, 7.0, 1.0, 9.0],
})
regions = pd.DataFrame({"city": ["Lyon", "Paris", "Nice"], "region": ["ARA", "IDF", "PACA"]})
merged = sales.merge(regions, on="city")
totals = merged.groupby("region")["amount"].sum()
out["totals"] = {k: float(v) for k, v in totals.items()}
merged.to_csv("sales.csv", index=False)
back = pd.read_csv("sales.csv")
out["csv_roundtrip"] = bool(back.equals(merged))
out["dates"] = [str(d) for d in pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/Paris")]

# matplotlib: Agg, fonts, a PNG in the work dir.
fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(list(totals.index), list(totals.values))
ax.set_title("Sales by region")
fig.savefig("plot.png", dpi=60)
plt.close(fig)
with open("plot.png", "rb") as f:
    out["png"] = f.read(8) == b"\x89PNG\r\n\x1a\n"

# threads
results = []
lock = threading.Lock()
def work(n):
    with lock:
        results.append(sum(range(n)))
threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out["threads"] = sorted(results)

# a fork pool; a subprocess of the interpreter is refused (nothing is
# executed after the interpreter starts)
def square(n):
    return n * n
with multiprocessing.get_context("fork").Pool(2) as pool:
    out["pool"] = pool.map(square, range(6))
try:
    subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True)
    out["subprocess"] = "ran"
except OSError as exc:
    out["subprocess"] = exc.strerror

# asyncio over a unix socket
async def echo_roundtrip(path):
    async def handle(reader, writer):
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()
    server = await asyncio.start_unix_server(handle, path)
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"ping\n")
    line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    server.close()
    await server.wait_closed()
    await asyncio.sleep(0.01)
    return line.decode().strip()

with tempfile.TemporaryDirectory() as tmp:
    out["asyncio"] = asyncio.run(echo_roundtrip(os.path.join(tmp, "echo.sock")))
    # tempfile and shutil copies (copy2 copies metadata too)
    shutil.copy("sales.csv", tmp)
    shutil.copy2("plot.png", os.path.join(tmp, "copy.png"))
    out["copies"] = sorted(n for n in os.listdir(tmp) if not n.endswith(".sock"))
    with tempfile.NamedTemporaryFile("w+", dir=tmp) as f:
        f.write("scratch")
        f.seek(0)
        out["tempfile"] = f.read()

# sqlite3, on disk in the work dir
con = sqlite3.connect("data.db")
con.execute("create table t (city text, amount real)")
con.executemany("insert into t values (?, ?)", sales.itertuples(index=False))
con.commit()
out["sqlite"] = con.execute("select count(*), round(sum(amount), 1) from t").fetchone()
con.close()

# ssl: a default context with the system's certificates
context = ssl.create_default_context()
out["ssl"] = context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname

# mmap of a file, and POSIX shared memory
with open("blob.bin", "wb") as f:
    f.write(b"hello mmap")
with open("blob.bin", "r+b") as f, mmap.mmap(f.fileno(), 0) as m:
    m[0:5] = b"HELLO"
with open("blob.bin", "rb") as f:
    out["mmap"] = f.read().decode()
shm = shared_memory.SharedMemory(create=True, size=64)
try:
    shm.buf[:3] = b"abc"
    peer = shared_memory.SharedMemory(name=shm.name)
    out["shared_memory"] = bytes(peer.buf[:3]).decode()
    peer.close()
finally:
    shm.close()
    shm.unlink()

# signal.alarm
fired = []
signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
signal.alarm(1)
deadline = time.monotonic() + 5
while not fired and time.monotonic() < deadline:
    time.sleep(0.05)
out["alarm"] = fired == [signal.SIGALRM]

# the rest of what programs ask the system
out["cpu_count"] = os.cpu_count() >= 1
out["monotonic"] = time.monotonic() > start
out["locale"] = locale.setlocale(locale.LC_ALL, "") is not None and locale.getpreferredencoding() != ""
out["nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 0
out["urandom"] = len(os.urandom(16))
out["versions"] = [np.__version__, pd.__version__, matplotlib.__version__]
print(json.dumps(out, sort_keys=True))
"#;

fn venv_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/data-stack/venv/bin/python");
    assert!(
        python.is_file(),
        "`{}` is missing: {INSTALL}",
        python.display()
    );
    python
}

/// The versions `.ci/data-stack.txt` pins.
fn pinned(package: &str) -> String {
    let pins = include_str!("../.ci/data-stack.txt");
    pins.lines()
        .find_map(|line| line.strip_prefix(&format!("{package}==")))
        .unwrap_or_else(|| panic!("{package} is not pinned in .ci/data-stack.txt"))
        .to_owned()
}

fn expected() -> Value {
    json!({
        "solve": true,
        "eigen_positive": true,
        "svd_rank": 40,
        "blas_threads": true,
        "totals": {"ARA": 15.0, "IDF": 30.0, "PACA": 7.0},
        "csv_roundtrip": true,
        "dates": [
            "2024-03-30 00:00:00+01:00",
            "2024-03-31 00:00:00+01:00",
            "2024-04-01 00:00:00+02:00"
        ],
        "png": true,
        "threads": [0, 1, 3, 6],
        "pool": [0, 1, 4, 9, 16, 25],
        "subprocess": "Function not implemented",
        "asyncio": "PING",
        "copies": ["copy.png", "sales.csv"],
        "tempfile": "scratch",
        "sqlite": [6, 52.0],
        "ssl": true,
        "mmap": "HELLO mmap",
        "shared_memory": "abc",
        "alarm": true,
        "cpu_count": true,
        "monotonic": true,
        "locale": true,
        "nofile": true,
        "urandom": 16,
        "versions": [pinned("numpy"), pinned("pandas"), pinned("matplotlib")],
    })
}

fn client(python: PathBuf, work_root: &Path, pool_size: usize) -> SandboxClient {
    SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        python: Some(python),
        // The kernel layers are under test, not the policy (which refuses
        // subprocess and ctypes-like modules before anything runs).
        policy: PolicyChoice::Off,
        work_root: Some(work_root.to_owned()),
        pool_size,
        // As the request's, so a pooled sandbox fits it.
        timeout: Duration::from_secs(60),
        max_memory_mb: 1024,
        ..crate::support::config()
    })
    .expect("valid config")
}

async fn run_and_check(client: &SandboxClient, how: &str) {
    let result = client.execute(PROGRAM).await.unwrap();
    let context = format!(
        "{how}: status {:?}\nstdout:\n{}\nstderr:\n{}\nmessage: {:?}",
        result.status, result.stdout, result.stderr, result.message
    );
    assert_eq!(result.status, Status::Ok, "{context}");
    let printed: Value = serde_json::from_str(result.stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON line ({e}); {context}"));
    assert_eq!(printed, expected(), "{context}");
    // A refused call that some library swallowed would show up here.
    for refusal in ["not permitted", "not implemented", "Bad system call"] {
        assert!(!result.stderr.contains(refusal), "{context}");
    }
    for name in ["plot.png", "sales.csv", "data.db", "blob.bin"] {
        assert!(result.file(name).is_some(), "{name} missing; {context}");
    }
    let csv = result.file_text("sales.csv").expect("sales.csv as text");
    assert!(csv.starts_with("city,amount,region\n"), "{csv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn numpy_pandas_matplotlib_run_in_secure_mode() {
    require!(Tier::DataStack);
    let python = venv_python();
    let root = tempfile::tempdir().unwrap();
    run_and_check(&client(python, root.path(), 0), "cold sandbox").await;
}

/// A pooled sandbox installs the same filters from inside the waiting
/// interpreter, then runs the program without an `execve`.
#[tokio::test(flavor = "multi_thread")]
async fn numpy_pandas_matplotlib_run_in_a_pooled_sandbox() {
    require!(Tier::DataStack);
    let python = venv_python();
    let root = tempfile::tempdir().unwrap();
    let client = client(python, root.path(), 1);
    client.warm().await.unwrap();
    let mut ready = false;
    for _ in 0..1500 {
        let stats = client.pool_stats().expect("a pool");
        assert_eq!(stats.failed_refills, 0, "{stats:?}");
        ready = stats.ready >= 1;
        if ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "no pooled sandbox within 30 s");
    run_and_check(&client, "pooled sandbox").await;
    assert_eq!(client.pool_stats().unwrap().hits, 1);
}

/// A secure client on the data stack's venv, under the default policy, in
/// a work root of its own (kept while the client is used).
fn venv_client() -> (tempfile::TempDir, SandboxClient) {
    let root = tempfile::tempdir().unwrap();
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        python: Some(venv_python()),
        work_root: Some(root.path().to_owned()),
        timeout: Duration::from_secs(60),
        max_memory_mb: 1024,
        ..crate::support::config()
    })
    .unwrap();
    (root, client)
}

/// What a code interpreter's user writes first, under the default policy
/// (not turned off): the data stack imports, draws with the non-interactive
/// backend the sandbox sets, and hands back a PNG.
#[tokio::test(flavor = "multi_thread")]
async fn the_default_policy_lets_the_data_stack_be_imported() {
    require!(Tier::DataStack);
    let (_root, client) = venv_client();
    let code = "import numpy as np\nimport pandas as pd\nimport matplotlib\n\
        import matplotlib.pyplot as plt\n\
        frame = pd.DataFrame({'x': np.arange(5), 'y': np.arange(5) ** 2})\n\
        fig, ax = plt.subplots()\nax.plot(frame['x'], frame['y'])\nfig.savefig('chart.png')\n\
        print(matplotlib.get_backend(), int(frame['y'].sum()))\n";
    let result = client.execute(code).await.unwrap();
    assert_eq!(
        result.status,
        Status::Ok,
        "{}\n{:?}",
        result.stderr,
        result.message
    );
    assert_eq!(result.stdout.to_lowercase(), "agg 30\n");
    let png = result.file("chart.png").expect("the chart");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);

    // scipy is allowed too, where it is installed (here it is not: the
    // import is let through and fails as Python's own error).
    let result = client.execute("import scipy\n").await.unwrap();
    assert_ne!(result.status, Status::PolicyViolation, "{}", result.stderr);
    // What stays refused is refused with the data stack present.
    let result = client.execute("import subprocess\n").await.unwrap();
    assert_eq!(result.status, Status::PolicyViolation);
}

/// A notebook's cell through the sandbox: `plt.show()` hands back the
/// figure as a PNG, a DataFrame as the last expression comes back as HTML
/// and text, and a figure left open is shown at the end.
#[tokio::test(flavor = "multi_thread")]
async fn charts_and_dataframes_come_back_as_a_notebook_shows_them() {
    require!(Tier::DataStack);
    let (_root, client) = venv_client();
    let code = "import matplotlib.pyplot as plt\nimport pandas as pd\n\
        frame = pd.DataFrame({'city': ['Oslo', 'Lima'], 'rain': [763, 16]})\n\
        plt.plot([1, 2, 3], [3, 1, 2])\nplt.title('shown')\nplt.show()\n\
        fig, ax = plt.subplots(figsize=(4, 3))\nax.bar(frame['city'], frame['rain'])\n\
        frame\n";
    let result = client.execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    let shown = &result.display;
    assert_eq!(shown.len(), 3, "{shown:?}");
    // The shown figure first, then the frame (the last expression), then
    // the figure left open, as a notebook's cell shows them.
    let (width, height) = crate::display::png_size(&shown[0].png().expect("a PNG"));
    assert!((300..2000).contains(&width) && (200..2000).contains(&height));
    assert_eq!(shown[0].plain(), Some("<Figure size 640x480 with 1 Axes>"));
    let html = shown[1].html().expect("the frame as HTML");
    assert!(html.contains("<table") && html.contains("Oslo"), "{html}");
    assert!(shown[1].plain().unwrap().contains("rain"));
    let png = shown[2].png().expect("the open figure");
    assert!(png.len() > 2000, "{} bytes", png.len());
    assert_eq!(shown[2].plain(), Some("<Figure size 400x300 with 1 Axes>"));
    // Nothing is left open after the run: a figure counts once.
    assert!(result.stderr.is_empty(), "{}", result.stderr);
}
