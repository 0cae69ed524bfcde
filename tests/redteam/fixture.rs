//! The canaries of one test: host files, listeners and processes an attack must not reach, and the placeholders that name them.

use super::*;

pub(super) static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique 15-character tag (the most a process name holds).
pub(super) fn new_tag() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xfff;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    let low = (n << 20) | (u64::from(nanos) & 0xf_ffff);
    format!("rt{:05x}{:08x}", std::process::id() & 0xf_ffff, low)
}

/// Metadata (and optionally contents) of a host file, to prove it unchanged.
#[derive(Debug, PartialEq)]
pub(super) struct FileState {
    pub(super) contents: Option<Vec<u8>>,
    pub(super) len: u64,
    pub(super) mode: u32,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) ino: u64,
    pub(super) mtime: (i64, i64),
    pub(super) ctime: (i64, i64),
}

impl FileState {
    pub(super) fn of(path: &Path, with_contents: bool) -> Self {
        let meta = std::fs::symlink_metadata(path)
            .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
        Self {
            contents: with_contents.then(|| std::fs::read(path).expect("read canary")),
            len: meta.len(),
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            ino: meta.ino(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// Everything one test plants on the host and checks afterwards.
pub(super) struct Fixture {
    pub(super) dir: TempDir,
    pub(super) secret: String,
    pub(super) canary_file: PathBuf,
    pub(super) canary_state: FileState,
    pub(super) canary_dir: PathBuf,
    pub(super) work_root: PathBuf,
    pub(super) unix_path: PathBuf,
    pub(super) tcp: TcpListener,
    pub(super) udp: UdpSocket,
    pub(super) unix: UnixListener,
    pub(super) abstract_name: String,
    pub(super) abstract_listener: UnixListener,
    pub(super) sentinel: Child,
    pub(super) marker: String,
    pub(super) proc_name: String,
    pub(super) entries: BTreeSet<String>,
    pub(super) interpreter_state: FileState,
    pub(super) hostname: String,
}

impl Fixture {
    pub(super) fn new(host: &Host) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("redteam-")
            .tempdir()
            .expect("temp dir");
        let tag = new_tag();
        // Unpredictable, so no attack can print it without reading it.
        let mut random = [0u8; 16];
        std::io::Read::read_exact(
            &mut std::fs::File::open("/dev/urandom").expect("open /dev/urandom"),
            &mut random,
        )
        .expect("read /dev/urandom");
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let secret = format!("redteam-secret-{hex}");
        let canary_file = dir.path().join("secret.txt");
        std::fs::write(&canary_file, format!("{secret}\n")).expect("write canary");
        let canary_dir = dir.path().join("canary-dir");
        std::fs::create_dir(&canary_dir).expect("canary dir");
        let work_root = dir.path().join("work");
        std::fs::create_dir(&work_root).expect("work root");

        // On every address: a sandbox must reach the host by none.
        let tcp = TcpListener::bind("0.0.0.0:0").expect("tcp canary");
        tcp.set_nonblocking(true).expect("non-blocking");
        let udp = UdpSocket::bind("0.0.0.0:0").expect("udp canary");
        udp.set_nonblocking(true).expect("non-blocking");
        let unix_path = dir.path().join("host.sock");
        let unix = UnixListener::bind(&unix_path).expect("unix canary");
        unix.set_nonblocking(true).expect("non-blocking");
        let abstract_name = format!("redteam-abstract-{tag}");
        let address =
            SocketAddr::from_abstract_name(abstract_name.as_bytes()).expect("abstract name");
        let abstract_listener = UnixListener::bind_addr(&address).expect("abstract canary");
        abstract_listener
            .set_nonblocking(true)
            .expect("non-blocking");

        let sentinel = Command::new("sleep")
            .arg("3600")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sentinel");
        let entries = dir_entries(dir.path());
        for path in [&canary_file, &unix_path, &canary_dir, &work_root] {
            assert_no_quotes(path);
        }
        Self {
            canary_state: FileState::of(&canary_file, true),
            interpreter_state: FileState::of(&host.interpreter, false),
            dir,
            secret,
            canary_file,
            canary_dir,
            work_root,
            unix_path,
            tcp,
            udp,
            unix,
            abstract_name,
            abstract_listener,
            sentinel,
            marker: format!("redteam-marker-{tag}"),
            proc_name: tag,
            entries,
            hostname: host_name(),
        }
    }

    /// The placeholder values of one run.
    pub(super) fn values(
        &self,
        host: &Host,
        self_tag: &str,
        peer_tag: &str,
    ) -> BTreeMap<&'static str, String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let port = |a: std::io::Result<std::net::SocketAddr>| a.expect("local address").port();
        let namespaces = serde_json::to_string(&host.namespaces).expect("namespaces serialize");
        BTreeMap::from([
            ("CANARY_FILE", path(&self.canary_file)),
            ("CANARY_DIR", path(&self.canary_dir)),
            ("FIXTURE_DIR", path(self.dir.path())),
            ("WORK_ROOT", path(&self.work_root)),
            ("TCP_PORT", port(self.tcp.local_addr()).to_string()),
            ("UDP_PORT", port(self.udp.local_addr()).to_string()),
            ("UNIX_SOCKET", path(&self.unix_path)),
            ("ABSTRACT_SOCKET", self.abstract_name.clone()),
            ("HOST_PID", std::process::id().to_string()),
            ("SENTINEL_PID", self.sentinel.id().to_string()),
            ("HOST_HOSTNAME", host.hostname.clone()),
            ("HOST_COMM", host.comm.clone()),
            ("HOST_EXE", path(&host.exe)),
            ("HOST_ADDRESS", host.address.to_string()),
            ("HOST_BOOT_ID", host_file("/proc/sys/kernel/random/boot_id")),
            ("HOST_CMDLINE", host_file("/proc/cmdline")),
            ("SECRET_ENV", host.secret_env.clone()),
            ("HOST_ENV_NAMES", py_list(&host.env_names)),
            ("INTERPRETER_PATHS", py_list(&host.interpreter_paths)),
            ("HOST_NAMESPACES", namespaces),
            ("MARKER", self.marker.clone()),
            ("PROC_NAME", self.proc_name.clone()),
            ("SELF_TAG", self_tag.to_owned()),
            ("PEER_TAG", peer_tag.to_owned()),
        ])
    }

    /// Host paths where an escaped write of the marker would land.
    pub(super) fn marker_paths(&self, host: &Host) -> Vec<PathBuf> {
        let dirs = [
            Path::new("/"),
            Path::new("/tmp"),
            Path::new("/var/tmp"),
            Path::new("/dev/shm"),
            Path::new("/usr"),
            Path::new("/usr/lib"),
            Path::new("/root"),
            Path::new("/etc"),
            Path::new("/home"),
            self.dir.path(),
            &self.canary_dir,
            &self.work_root,
        ];
        let mut paths: Vec<PathBuf> = dirs.iter().map(|d| d.join(&self.marker)).collect();
        paths.push(host.stdlib.join(format!("{}.py", self.marker)));
        paths
    }

    /// Everything an attack must not have done to the host; one line per
    /// breach. Removes what it finds, so a breach does not outlive the test.
    pub(super) fn breaches(&self, header: &Header, host: &Host, tags: &[String]) -> Vec<String> {
        let mut found = Vec::new();
        if FileState::of(&self.canary_file, true) != self.canary_state {
            found.push(format!(
                "the canary file {} changed",
                self.canary_file.display()
            ));
        }
        let in_canary_dir = dir_entries(&self.canary_dir);
        if !in_canary_dir.is_empty() {
            found.push(format!("the canary dir received {in_canary_dir:?}"));
        }
        let entries = dir_entries(self.dir.path());
        if entries != self.entries {
            found.push(format!(
                "the test's temp dir changed: {:?} became {entries:?}",
                self.entries
            ));
        }
        let left = dir_entries(&self.work_root);
        if !left.is_empty() {
            found.push(format!("the work root still holds {left:?}"));
        }
        for path in self.marker_paths(host) {
            if std::fs::symlink_metadata(&path).is_ok() {
                found.push(format!("{} was created on the host", path.display()));
                let _ = std::fs::remove_file(&path);
            }
        }
        let tcp = drain(|| self.tcp.accept().map(drop));
        match (header.tcp_reached, tcp) {
            (true, 0) => found.push("the TCP canary was never reached".into()),
            (false, n) if n > 0 => found.push(format!("the TCP canary accepted {n} connection(s)")),
            _ => {}
        }
        let mut buf = [0u8; 2048];
        let udp = drain(|| self.udp.recv_from(&mut buf).map(drop));
        if udp > 0 {
            found.push(format!("the UDP canary received {udp} datagram(s)"));
        }
        let unix = drain(|| self.unix.accept().map(drop));
        if unix > 0 {
            found.push(format!(
                "the unix socket canary accepted {unix} connection(s)"
            ));
        }
        let abstract_ = drain(|| self.abstract_listener.accept().map(drop));
        if abstract_ > 0 {
            found.push(format!(
                "the abstract socket canary accepted {abstract_} connection(s)"
            ));
        }
        if !alive(i32::try_from(self.sentinel.id()).expect("pid")) {
            found.push("the host sentinel process was killed".into());
        }
        let names: Vec<&str> = std::iter::once(self.proc_name.as_str())
            .chain(tags.iter().map(String::as_str))
            .collect();
        let survivors = processes_named(&names, Duration::from_secs(1));
        if !survivors.is_empty() {
            found.push(format!(
                "sandbox processes are alive on the host: {survivors:?}"
            ));
        }
        if FileState::of(&host.interpreter, false) != self.interpreter_state {
            found.push(format!(
                "the interpreter {} changed",
                host.interpreter.display()
            ));
        }
        if host_name() != self.hostname {
            found.push(format!("the host name changed to {}", host_name()));
        }
        found
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.sentinel.kill();
        let _ = self.sentinel.wait();
    }
}

pub(super) fn assert_no_quotes(path: &Path) {
    let text = path.to_string_lossy();
    assert!(
        !text.contains(['"', '\'', '\\', '\n']),
        "a canary path must be safe inside a Python string literal: {text}"
    );
}

pub(super) fn dir_entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Calls a non-blocking `receive` until it would block; how many succeeded.
pub(super) fn drain(mut receive: impl FnMut() -> std::io::Result<()>) -> usize {
    let mut n = 0;
    loop {
        match receive() {
            Ok(()) => n += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("canary listener failed: {e}"),
        }
    }
}

/// Live host processes whose name is one of `names`, once `grace` has
/// passed without them all dying.
pub(super) fn processes_named(names: &[&str], grace: Duration) -> Vec<(i32, String)> {
    let scan = || -> Vec<(i32, String)> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return vec![];
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
                let comm = comm.trim().to_owned();
                (names.contains(&comm.as_str()) && alive(pid)).then_some((pid, comm))
            })
            .collect()
    };
    let start = Instant::now();
    loop {
        let found = scan();
        if found.is_empty() || start.elapsed() >= grace {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
