//! An agent-style analysis in one session, as a code interpreter runs it:
//! a CSV goes in, each step builds on the variables of the one before, and
//! the chart comes back as a PNG from the run's `display` list.
//!
//! Needs an interpreter with numpy, pandas and matplotlib. `bash
//! .ci/data-stack` makes one under `target/data-stack/venv`, which this
//! example uses when `SANDBOX_PYTHON` does not name another:
//!
//! ```sh
//! bash .ci/data-stack
//! cargo run --example data_analysis -- [output dir]
//! ```
//!
//! Works remotely as well: `SANDBOX_SERVER_URL=http://localhost:8000` (the
//! server's interpreter then needs the data stack).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sandbox_client::{ClientConfig, ExecutionResult, SandboxClient, SessionOptions, Status};

/// Monthly revenue of three regions, as an agent's user would upload it.
fn sales_csv() -> String {
    let mut csv = String::from("month,region,revenue\n");
    for month in 1..=12u32 {
        for (region, base) in [("north", 120u32), ("south", 95), ("west", 140)] {
            // Deterministic, with a seasonal bump in the summer months.
            let revenue = base + month * 3 + if (6..=8).contains(&month) { 25 } else { 0 };
            csv.push_str(&format!("2026-{month:02},{region},{revenue}\n"));
        }
    }
    csv
}

/// The steps an agent sends, one run each; later steps use earlier names.
const LOAD: &str = "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.shape";
const SUMMARISE: &str =
    "summary = df.groupby('region')['revenue'].agg(['sum', 'mean']).round(1)\nsummary";
const PLOT: &str = "import matplotlib.pyplot as plt\n\
fig, ax = plt.subplots(figsize=(6, 4))\n\
for region, rows in df.groupby('region'):\n    ax.plot(rows['month'], rows['revenue'], marker='o', label=region)\n\
ax.set_title('Monthly revenue by region')\n\
ax.tick_params(axis='x', labelrotation=45)\n\
ax.legend()\n\
fig.tight_layout()\n\
plt.show()";
const BEST: &str = "best = summary['sum'].idxmax()\nprint(f'best region: {best} ({summary.loc[best, \"sum\"]:.0f})')";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out_dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let mut config = ClientConfig::from_env()?;
    if config.python.is_none() && config.server_url.is_none() {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/data-stack/venv/bin/python");
        if venv.is_file() {
            config.python = Some(venv);
        }
    }
    let client = SandboxClient::from_config(config)?;

    // Memory and network are fixed for the session's life; each run has
    // its own timeout.
    let options = SessionOptions::new()
        .with_memory_mb(1024)
        .with_timeout(Duration::from_secs(60))
        .with_file("sales.csv", sales_csv());
    let session = client.create_session(options).await?;

    let shape = step(&session, "load", LOAD).await?;
    println!("rows, columns: {}", plain(&shape));

    let summary = step(&session, "summarise", SUMMARISE).await?;
    let table = &summary.display[0];
    println!("summary (text):\n{}", table.plain().unwrap_or_default());
    println!(
        "summary has an HTML table: {}",
        table.html().is_some_and(|html| html.contains("<table"))
    );

    let plot = step(&session, "plot", PLOT).await?;
    let png = plot
        .display
        .iter()
        .find_map(sandbox_client::MimeBundle::png)
        .ok_or_else(|| anyhow::anyhow!("the plot step returned no PNG"))?;
    let path = out_dir.join("revenue.png");
    std::fs::write(&path, &png)?;
    println!(
        "chart: {} ({} bytes, PNG: {})",
        path.display(),
        png.len(),
        png.starts_with(b"\x89PNG\r\n\x1a\n")
    );

    let best = step(&session, "answer", BEST).await?;
    print!("{}", best.stdout);

    println!("files in the session: {:?}", session.files().await?);
    session.close().await?;
    Ok(())
}

/// Runs one step and fails with what the sandbox said when it fails.
async fn step(
    session: &sandbox_client::Session,
    name: &str,
    code: &str,
) -> anyhow::Result<ExecutionResult> {
    let result = session.run(code).await?;
    if result.status != Status::Ok {
        let hint = if result.stderr.contains("No module named") {
            "\n(this example needs numpy, pandas and matplotlib: `bash .ci/data-stack`, \
             or SANDBOX_PYTHON naming an interpreter that has them)"
        } else {
            ""
        };
        anyhow::bail!("step `{name}` failed: {}{hint}", result.stderr.trim_end());
    }
    Ok(result)
}

/// The text form of a run's last value.
fn plain(result: &ExecutionResult) -> &str {
    result
        .display
        .first()
        .and_then(sandbox_client::MimeBundle::plain)
        .unwrap_or("")
}
