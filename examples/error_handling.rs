//! Error handling: a program that fails is a result with `success == false`;
//! a sandbox that cannot run it at all is a `SandboxError` (the original's
//! `SandboxException`).
//!
//! Run with `cargo run --example error_handling`.

use sandbox_client::SandboxClient;

#[tokio::main]
async fn main() {
    let client = SandboxClient::new();

    let code = "print(1/0)"; // Will raise ZeroDivisionError

    match client.execute(code).await {
        Ok(result) => {
            if !result.success {
                println!(
                    "Execution failed with code {}",
                    result.return_code.unwrap_or(-1)
                );
                println!("Error: {}", result.stderr.trim_end());
            }
        }
        Err(e) => println!("Sandbox error: {e}"),
    }
}
