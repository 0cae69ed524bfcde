//! Basic execution patterns: the original README's Fibonacci and circle-area
//! snippets through a local `SandboxClient`.
//!
//! Run with `cargo run --example basic_usage`.

use sandbox_client::{SandboxClient, SandboxError};

const FIBONACCI: &str = r#"
def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n-1) + fibonacci(n-2)

result = [fibonacci(i) for i in range(10)]
print("Fibonacci:", result)
"#;

const CIRCLE: &str = r#"
import math

radius = 5
area = math.pi * radius ** 2
print(f"Circle area: {area:.2f}")
"#;

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
