//! Working with files: an input CSV in, a computed total out, and an output
//! file read back from the result (the original's `get_file_content`).
//!
//! Run with `cargo run --example with_files`.

use sandbox_client::{SandboxClient, SandboxError};

/// The original README's CSV snippet, shared with the integration tests.
const CODE: &str = include_str!("python/csv_total.py");

#[tokio::main]
async fn main() -> Result<(), SandboxError> {
    let client = SandboxClient::new();

    // Provide input files
    let input_files = [("data.csv", b"id,value\n1,100\n2,200\n3,300\n".to_vec())];

    let result = client.execute_with_files(CODE, input_files).await?;
    print!("{}", result.stdout); // Total: 600

    // Get output file
    match result.file("result.txt") {
        Some(output) => print!("{}", String::from_utf8_lossy(output)), // Sum: 600
        None => eprintln!("result.txt was not produced: {}", result.stderr),
    }
    Ok(())
}
