//! Simple mode: the interpreter as a plain child process with rlimits, a
//! wall-clock timeout, output caps and a private temporary work dir. It does
//! not isolate the filesystem or the network: for trusted code only.

use std::sync::Arc;

use sandbox_core::{
    ClientConfig, ExecutionPlan, ExecutionRequest, ExecutionResult, Limits, SandboxError, Usage,
};

use crate::blocking;
use crate::classify::{Observed, classify};
use crate::collect::collect;
use crate::interpreter;
use crate::process;
use crate::workdir::WorkDir;
use crate::worker::Compile;
use sandbox_core::protocol::{self, Request};

/// Runs one validated request in simple mode. The work dir is removed on
/// every path out of this function, including the caller dropping it.
pub(crate) async fn run(
    request: ExecutionRequest,
    limits: Limits,
    config: &ClientConfig,
    guard: Option<String>,
    output: Option<crate::OutputSink>,
) -> Result<ExecutionResult, SandboxError> {
    let python = interpreter::resolve(config.python.as_deref()).await?;
    let name = request.file_name().to_owned();
    let inputs = Arc::new(request.input_files);
    let parent = config.work_root.clone();
    let workdir = {
        let inputs = inputs.clone();
        blocking(move || {
            let dir = WorkDir::create(parent.as_deref())?;
            dir.write_inputs(&inputs)?;
            Ok(dir)
        })
        .await?
    };

    let plan = ExecutionPlan::simple(&python.path, workdir.work(), workdir.tmp(), limits.clone());
    let run = Request::Run {
        v: protocol::VERSION,
        file: name.clone(),
        guard,
        rlimits: Vec::new(),
        no_exec: false,
        session: false,
        payload: request.code.len(),
    };
    let outcome = process::execute(
        &plan,
        &python.bootstrap,
        &run,
        request.code.as_bytes(),
        output,
    )
    .await?;

    let (max_files, max_bytes) = (limits.max_output_files, limits.max_output_files_bytes);
    let budget = outcome.budget.clone();
    let collected = blocking(move || {
        let collected = collect(workdir.work(), &inputs, max_files, max_bytes, &budget);
        if let Err(err) = workdir.remove() {
            tracing::error!(%err, "could not remove a work dir");
        }
        Ok(collected)
    })
    .await?;

    if let Compile::Refused {
        line,
        column,
        message,
        text,
    } = &outcome.compile
    {
        return Ok(crate::compile_refused(
            limits.mode,
            &name,
            &request.code,
            (*line, *column),
            message,
            text.as_deref(),
        ));
    }
    let verdict = classify(Observed {
        exit: outcome.reaped.exit,
        timed_out: outcome.timed_out,
        output_limited: outcome.output_limited,
        result_limited: outcome.budget.stream_cut(),
        oom_killed: false,
        stderr: &outcome.stderr.bytes,
        limits: &limits,
    });
    let mut result = verdict.into_result(
        limits.mode,
        &outcome.stdout,
        &outcome.stderr,
        outcome.duration,
    );
    result.usage = Usage {
        cpu_ms: crate::millis(outcome.reaped.cpu),
        peak_memory_kb: outcome.reaped.max_rss_kb,
    };
    result.output_files_truncated = !collected.left_out.is_empty();
    let mut notes: Vec<String> = result.message.take().into_iter().collect();
    notes.extend(outcome.shown.note());
    result.display = outcome.shown.bundles;
    notes.extend(collected.note());
    result.output_files = collected.files;
    result.message = (!notes.is_empty()).then(|| notes.join(". "));
    Ok(result)
}
