//! Deep and malformed code of every shape through the checker: nothing
//! overflows a stack, whatever the caller's stack size, and the nesting
//! bound sizes the stack the parse, the walk and the drop need.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::forms::{self, EXPRESSIONS, STATEMENTS};
use super::nesting::{self, MAX_NESTING};
use crate::Policy;
use crate::policy::{Rejection, validate};

/// Runs `f` on a thread with exactly `stack` bytes of stack.
fn on_stack<R: Send>(stack: usize, f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(scope, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

fn check(code: &str) -> Result<(), Rejection> {
    validate(code, None, Some(Policy::secure_default()), &BTreeSet::new())
}

/// Stack a thread spends before the code under test starts.
const SLACK: usize = 64 * 1024;

/// The checker on a thread with just the stack the bound asks for: a
/// bound that underestimates overflows here (and aborts the test run).
fn check_on_measured_stack(code: &str) {
    let Ok(depth) = nesting::scan(code) else {
        return;
    };
    on_stack(nesting::stack_for(depth) + SLACK, || drop(check(code)));
}

fn assert_refused_past_limits(code: &str, outcome: Result<(), Rejection>) {
    match nesting::scan(code) {
        Ok(_) => assert!(
            !matches!(&outcome, Err(Rejection::Syntax { issue, .. }) if issue.message.contains("the limit is")),
            "{outcome:?}"
        ),
        Err(expected) => match outcome {
            Err(Rejection::Syntax { issue, file: None }) => assert_eq!(issue, expected),
            other => panic!("code past a limit was not refused: {other:?}"),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn deep_code_never_overflows_a_small_stack(code in forms::deep_program(4 * MAX_NESTING as usize)) {
        let outcome = on_stack(128 * 1024, || check(&code));
        assert_refused_past_limits(&code, outcome);
    }

    #[test]
    fn the_bound_sizes_the_stack(code in forms::deep_program(MAX_NESTING as usize)) {
        check_on_measured_stack(&code);
    }

    #[test]
    fn malformed_code_never_overflows(code in forms::token_soup(4_000)) {
        check_on_measured_stack(&code);
        let outcome = on_stack(128 * 1024, || check(&code));
        assert_refused_past_limits(&code, outcome);
    }
}

/// The syntax issue `code` is refused with, checked on a 128 KiB stack.
fn refused_on_a_small_stack(code: &str, name: &str) -> super::SyntaxIssue {
    match on_stack(128 * 1024, || check(code)) {
        Err(Rejection::Syntax { issue, .. }) => issue,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn every_form_nested_deep_is_refused_and_shallow_is_accepted() {
    for &form in EXPRESSIONS {
        let issue = refused_on_a_small_stack(&forms::repeated(form, 30_000), form.name);
        assert_eq!(issue.line, 1, "{}", form.name);
        assert!(
            issue.message.contains("the limit is"),
            "{}: {}",
            form.name,
            issue.message
        );
        let mut shallow = forms::repeated(form, 90);
        if form.name.starts_with("await") {
            shallow = forms::blocks(&[STATEMENTS[7]], shallow.trim_end());
        }
        let parsed = on_stack(128 * 1024, || super::check(&shallow));
        if form.name == "await" {
            assert!(parsed.is_err(), "`await await` parsed");
        } else {
            assert_eq!(parsed, Ok(()), "{}", form.name);
        }
        check_on_measured_stack(&forms::repeated(form, 400));
    }
    for &statement in STATEMENTS {
        let deep = forms::blocks(&vec![statement; 120], "pass");
        let issue = refused_on_a_small_stack(&deep, statement.name);
        assert!(
            issue.message.contains("indentation"),
            "{}: {}",
            statement.name,
            issue.message
        );
        let shallow = forms::blocks(&vec![statement; 40], "pass");
        assert_eq!(super::check(&shallow), Ok(()), "{}", statement.name);
        check_on_measured_stack(&shallow);
    }
}
