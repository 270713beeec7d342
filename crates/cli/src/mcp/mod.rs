//! `wecom mcp`: the commands as tools of the Model Context Protocol, over stdio, on the official
//! Rust SDK (`rmcp`). Each tool runs its command's code path (`call.rs`) with the same
//! configuration and rails; only protocol messages go to stdout (rmcp writes them; everything
//! else the commands print goes to stderr), and the secret is never part of a tool's input,
//! answer or error.

mod call;
mod mock;
mod reply;
mod tools;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, InitializeResult, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use crate::cli::{Global, McpArgs};
use crate::error::CliError;
use mock::Admin;

const INSTRUCTIONS: &str = "WeCom Contact Me (联系我) and Join Group (加入群聊) configs, with rails: bodies are \
checked before sending, updates are merged unless replace is true, creates are recorded in a ledger first (a create \
whose answer was lost must be reconciled with ledger_reconcile, never repeated), and prune is a dry run unless \
confirm is true.";

/// The MCP server: the configuration, and the mock's control surface with `--mock-tools`.
#[derive(Clone)]
struct WecomTools {
    global: Arc<Global>,
    admin: Option<Arc<Admin>>,
}

pub(crate) async fn run(global: &Global, args: McpArgs) -> Result<(), CliError> {
    let admin = if args.mock_tools { Some(Arc::new(Admin::new(global, args.mock_admin_token)?)) } else { None };
    // No progress bars: nobody watches this process's terminal.
    let global = Global { quiet: true, ..global.clone() };
    let server = WecomTools { global: Arc::new(global), admin };
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|err| CliError::Usage(format!("the MCP session did not start: {err}")))?;
    running.waiting().await.map_err(|err| CliError::Usage(format!("the MCP session failed: {err}")))?;
    Ok(())
}

impl ServerHandler for WecomTools {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("wecom", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::listed(self.admin.is_some())))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(tool) = tools::find(&request.name, self.admin.is_some()) else {
            return Err(ErrorData::invalid_params(format!("no tool is called {}", request.name), None));
        };
        let args = request.arguments.unwrap_or_default();
        let result = match call::call(&self.global, self.admin.as_deref(), tool.name, args).await {
            Ok(answer) => reply::success(answer),
            Err(err) => reply::failure(&err),
        };
        Ok(result.into())
    }
}
