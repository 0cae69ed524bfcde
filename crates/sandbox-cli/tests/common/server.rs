//! A real `sandbox-server` in the test process, on a free loopback port
//! (for the tests of `--remote`).

use sandbox_server::{AppState, ServerConfig};

/// A server on a free loopback port, shut down on drop.
pub struct Server {
    /// Its base URL.
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A server accepting `keys` (comma-separated; empty: open).
    pub fn start(keys: &str) -> Self {
        let mut config = ServerConfig {
            api_keys: sandbox_server::auth::ApiKeys::parse(keys),
            ..ServerConfig::default()
        };
        if let Some(level) = crate::common::isolation() {
            config.execution.isolation = level.parse().unwrap();
        }
        let state = AppState::new(config).unwrap();
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                url_tx
                    .send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                sandbox_server::serve(
                    listener,
                    state,
                    async move {
                        let _ = stopped.await;
                    },
                    std::future::pending(),
                )
                .await
                .unwrap();
            });
        });
        Self {
            url: url_rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
