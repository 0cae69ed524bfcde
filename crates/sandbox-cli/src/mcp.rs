//! `sandbox mcp`: the sandbox's MCP tools over stdio, running code on this
//! machine.

use anyhow::{Context as _, Result};
use sandbox_client::{ClientConfig, SandboxClient, SandboxError};
use sandbox_mcp::SandboxMcp;

use crate::cli::McpArgs;
use crate::exit::UsageError;

/// Serves until the client closes standard input; exit code 0 then.
pub(crate) async fn run(args: McpArgs) -> Result<u8> {
    let config = config(&args)?;
    let client = SandboxClient::from_config(config)?;
    tracing::info!("serving MCP on stdio");
    let mut server = SandboxMcp::for_client(client);
    if args.session {
        server = server.with_default_session();
    }
    sandbox_mcp::serve_stdio(server)
        .await
        .context("the MCP server stopped")?;
    Ok(0)
}

/// The configuration from the environment with the options applied.
fn config(args: &McpArgs) -> Result<ClientConfig> {
    let mut config = ClientConfig::from_env().map_err(SandboxError::from)?;
    if let Some(url) = &config.server_url {
        // A remote server's policy is not visible from here, so
        // `check_python` could not check it: point at the server's own MCP.
        return Err(UsageError(format!(
            "`sandbox mcp` runs code on this machine, but SANDBOX_SERVER_URL is set (`{url}`); \
             connect the MCP client to `{}/mcp` instead, or unset it",
            url.trim_end_matches('/')
        ))
        .into());
    }
    args.exec.apply(&mut config, None)?;
    config.validate()?;
    Ok(config)
}
