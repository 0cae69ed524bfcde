//! The original README's examples, with its exact outputs, in both modes.

use sandbox_client::Status;

use crate::support::{MODES, client};

// The original README's snippets, as the runnable examples use them.
const FIBONACCI: &str = include_str!("../examples/python/fibonacci.py");

const CSV_TOTAL: &str = include_str!("../examples/python/csv_total.py");

#[tokio::test]
async fn fibonacci() {
    for mode in MODES {
        let result = client(mode).execute(FIBONACCI).await.unwrap();
        assert_eq!(
            result.stdout, "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n",
            "{mode}: {}",
            result.stderr
        );
        assert!(result.success);
        assert_eq!(result.status, Status::Ok);
        assert_eq!(result.return_code, Some(0));
        assert_eq!(result.stderr, "");
        assert_eq!(result.mode, mode);
    }
}

#[tokio::test]
async fn circle_area() {
    let code = include_str!("../examples/python/circle_area.py");
    for mode in MODES {
        let result = client(mode).execute(code).await.unwrap();
        assert_eq!(
            result.stdout, "Circle area: 78.54\n",
            "{mode}: {}",
            result.stderr
        );
        assert!(result.success);
    }
}

#[tokio::test]
async fn csv_total_with_files_in_and_out() {
    for mode in MODES {
        let result = client(mode)
            .execute_with_files(
                CSV_TOTAL,
                [("data.csv", b"id,value\n1,100\n2,200\n3,300\n".to_vec())],
            )
            .await
            .unwrap();
        assert_eq!(result.stdout, "Total: 600\n", "{mode}: {}", result.stderr);
        assert_eq!(result.file("result.txt"), Some(&b"Sum: 600\n"[..]));
        // The unchanged input is not reported as an output.
        assert_eq!(
            result.output_files.len(),
            1,
            "{:?}",
            result.output_files.keys()
        );
    }
}

#[tokio::test]
async fn zero_division_error() {
    for mode in MODES {
        let result = client(mode).execute("print(1/0)").await.unwrap();
        assert!(!result.success);
        assert_eq!(result.status, Status::Error);
        assert_eq!(result.return_code, Some(1));
        let stderr = &result.stderr;
        assert!(
            stderr.starts_with("Traceback (most recent call last):\n"),
            "{stderr}"
        );
        assert!(
            stderr.contains("File \"main.py\", line 1, in <module>"),
            "{stderr}"
        );
        assert!(
            stderr.ends_with("ZeroDivisionError: division by zero\n"),
            "{stderr}"
        );
        // The bootstrap's own frames stay out of the user's traceback.
        assert!(!stderr.contains("<string>"), "{stderr}");
        assert_eq!(result.message, None);
    }
}
