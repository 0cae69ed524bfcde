//! Basic execution patterns: the original README's Fibonacci and circle-area
//! snippets through a local `SandboxClient`.
//!
//! Run with `cargo run --example basic_usage`.

use sandbox_client::{SandboxClient, SandboxError};

/// The original README's snippets, shared with the integration tests.
const FIBONACCI: &str = include_str!("python/fibonacci.py");

const CIRCLE: &str = include_str!("python/circle_area.py");

#[tokio::main]
async fn main() -> Result<(), SandboxError> {
    // No server_url: the code runs on this machine.
    let client = SandboxClient::new();

    let result = client.execute(FIBONACCI).await?;
    print!("{}", result.stdout);
    // Output: Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]

    let result = client.execute(CIRCLE).await?;
    print!("{}", result.stdout);
    // Output: Circle area: 78.54

    println!(
        "status: {}, return code: {:?}, {:.1} ms",
        result.status, result.return_code, result.duration_ms
    );
    Ok(())
}
