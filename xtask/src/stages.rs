//! Where a secure run's time goes: the runner marks each stage with a
//! `secure run` debug event (`stage`, `elapsed_ms` since the run began);
//! this collects them during the bench and prints the median of each step.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// `(stage, elapsed ms)` in the order the runner reported them.
type Marks = Arc<Mutex<Vec<(String, f64)>>>;

/// Collects the runner's stage marks from the moment it is installed.
#[derive(Clone, Default)]
pub(crate) struct StageLog {
    marks: Marks,
}

impl StageLog {
    /// Installs the collector as this process's tracing subscriber.
    pub(crate) fn install() -> Self {
        let log = Self::default();
        let collector = Collector(log.marks.clone())
            .with_filter(Targets::new().with_target("sandbox_runner", Level::DEBUG));
        // Only fails when a subscriber is already set; the log then stays
        // empty and the report says so.
        let _ = tracing_subscriber::registry().with(collector).try_init();
        log
    }

    /// Forgets what was collected so far.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, f64)>> {
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The median duration of each step between consecutive stages, over
    /// the runs collected since the last [`StageLog::clear`], as
    /// `(from, to, ms)`.
    pub(crate) fn median_steps(&self) -> Vec<(String, String, f64)> {
        let marks = self.lock();
        // A run starts at its first stage; split the log into runs.
        let first = marks.first().map(|(stage, _)| stage.clone());
        let mut runs: Vec<Vec<(String, f64)>> = Vec::new();
        for mark in marks.iter() {
            if Some(&mark.0) == first.as_ref() || runs.is_empty() {
                runs.push(Vec::new());
            }
            if let Some(run) = runs.last_mut() {
                run.push(mark.clone());
            }
        }
        let Some(template) = runs.first().cloned() else {
            return Vec::new();
        };
        let complete: Vec<_> = runs
            .iter()
            .filter(|run| {
                run.len() == template.len() && run.iter().zip(&template).all(|(a, b)| a.0 == b.0)
            })
            .collect();
        let mut steps = vec![(String::from("start"), template[0].0.clone(), 0.0)];
        steps.extend(
            template
                .windows(2)
                .map(|pair| (pair[0].0.clone(), pair[1].0.clone(), 0.0)),
        );
        for (i, step) in steps.iter_mut().enumerate() {
            let mut durations: Vec<f64> = complete
                .iter()
                // Preparing and executing each time from their own start:
                // a mark below the one before it starts the second clock.
                .map(|run| {
                    let before = if i == 0 { 0.0 } else { run[i - 1].1 };
                    if run[i].1 < before {
                        run[i].1
                    } else {
                        run[i].1 - before
                    }
                })
                .collect();
            durations.sort_by(f64::total_cmp);
            step.2 = durations.get(durations.len() / 2).copied().unwrap_or(0.0);
        }
        steps
    }
}

struct Collector(Marks);

impl<S: Subscriber> Layer<S> for Collector {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        #[derive(Default)]
        struct Fields {
            stage: Option<String>,
            elapsed_ms: Option<f64>,
        }
        impl Visit for Fields {
            fn record_str(&mut self, field: &Field, value: &str) {
                if field.name() == "stage" {
                    self.stage = Some(value.to_owned());
                }
            }
            fn record_f64(&mut self, field: &Field, value: f64) {
                if field.name() == "elapsed_ms" {
                    self.elapsed_ms = Some(value);
                }
            }
            fn record_debug(&mut self, _: &Field, _: &dyn Debug) {}
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (Some(stage), Some(ms)) = (fields.stage, fields.elapsed_ms) {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((stage, ms));
        }
    }
}
