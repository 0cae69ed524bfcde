//! Working with files: an input CSV in, a computed total out, and an output
//! file read back from the result (the original's `get_file_content`).
//!
//! Run with `cargo run --example with_files`.

use sandbox_client::{SandboxClient, SandboxError};

const CODE: &str = r#"
import csv

# Read CSV
with open('data.csv', 'r') as f:
    reader = csv.DictReader(f)
    data = list(reader)

# Calculate total
total = sum(int(row['value']) for row in data)
print(f"Total: {total}")

# Write output
with open('result.txt', 'w') as f:
    f.write(f"Sum: {total}\n")
"#;

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
