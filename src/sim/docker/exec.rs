//! `docker exec`: exec instances and what a command does inside a simulated container.
//!
//! A scenario lists the commands a container knows (`pg_dump -U shop shop`,
//! `redis-cli BGSAVE`) with their output; a few shell basics (`echo`, `sh -c`, `sleep`,
//! `hostname`, `env`, …) work everywhere; anything else fails as runc does, exit 127.

use std::collections::VecDeque;

use super::container::Container;
use super::frames::StdStream;
use crate::sim::common::seeded::{combine, hex64};
use crate::sim::common::time as timefmt;
use crate::sim::common::time::Nanos;

/// How many exec instances are remembered (finished ones are forgotten first).
const MAX_EXECS: usize = 512;

/// One `POST /containers/{id}/exec`.
#[derive(Debug, Clone)]
pub struct ExecRecord {
    pub id: String,
    pub container: usize,
    pub argv: Vec<String>,
    pub tty: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub user: String,
    pub privileged: bool,
    pub working_dir: String,
    pub started: bool,
    pub running: bool,
    pub exit_code: Option<i32>,
    pub pid: u32,
}

/// The remembered exec instances.
#[derive(Debug, Default)]
pub struct ExecTable {
    records: VecDeque<ExecRecord>,
    created: u64,
    key: u64,
}

impl ExecTable {
    pub fn new(key: u64) -> ExecTable {
        ExecTable {
            key,
            ..ExecTable::default()
        }
    }

    /// Remember a new instance; returns its id.
    pub fn create(&mut self, mut record: ExecRecord) -> String {
        self.created += 1;
        record.id = hex64(combine(self.key, self.created));
        record.pid = 1000 + (self.created % 30_000) as u32;
        if self.records.len() >= MAX_EXECS {
            match self.records.iter().position(|r| !r.running) {
                Some(done) => {
                    self.records.remove(done);
                }
                None => {
                    self.records.pop_front();
                }
            }
        }
        let id = record.id.clone();
        self.records.push_back(record);
        id
    }

    pub fn get(&self, id: &str) -> Option<&ExecRecord> {
        self.records.iter().find(|r| r.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut ExecRecord> {
        self.records.iter_mut().find(|r| r.id == id)
    }

    /// Ids of the instances in a container (`ExecIDs` in inspect).
    pub fn ids_for(&self, container: usize) -> Vec<String> {
        self.records
            .iter()
            .filter(|r| r.container == container && r.running)
            .map(|r| r.id.clone())
            .collect()
    }
}

/// What running a command will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecPlan {
    /// Output lines (with their newline) and when, after the start, each is written.
    pub output: Vec<(Nanos, StdStream, String)>,
    /// Simulated run time.
    pub duration: Nanos,
    pub exit_code: i32,
    /// The process could not be started: this message goes to the client on stdout,
    /// as moby writes it, and no `exec_die` follows.
    pub start_error: Option<String>,
}

impl ExecPlan {
    fn done(exit_code: i32) -> ExecPlan {
        ExecPlan {
            output: Vec::new(),
            duration: 0,
            exit_code,
            start_error: None,
        }
    }

    fn print(stream: StdStream, text: String, exit_code: i32) -> ExecPlan {
        ExecPlan {
            output: vec![(0, stream, text)],
            duration: 0,
            exit_code,
            start_error: None,
        }
    }

    /// Output spread over `duration`: each stream's lines at even intervals, so progress
    /// on stderr interleaves with data on stdout.
    fn spread(stdout: &str, stderr: &str, duration: Nanos, exit_code: i32) -> ExecPlan {
        let mut keyed: Vec<(f64, StdStream, String)> = Vec::new();
        for (stream, text) in [(StdStream::Stdout, stdout), (StdStream::Stderr, stderr)] {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let n = lines.len() as f64;
            for (i, line) in lines.into_iter().enumerate() {
                keyed.push(((i as f64 + 1.0) / (n + 1.0), stream, line.to_string()));
            }
        }
        // At the same moment, progress (stderr) comes before the data it announces.
        keyed.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then((a.1 == StdStream::Stdout).cmp(&(b.1 == StdStream::Stdout)))
        });
        ExecPlan {
            output: keyed
                .into_iter()
                .map(|(f, s, t)| ((f * duration as f64) as Nanos, s, t))
                .collect(),
            duration,
            exit_code,
            start_error: None,
        }
    }
}

/// Decide what `argv` does in `c` at `now`.
pub fn plan(c: &Container, argv: &[String], now: Nanos) -> ExecPlan {
    if let Some(spec) = c.spec.exec.iter().find(|e| e.argv == argv) {
        return ExecPlan::spread(
            &spec.stdout,
            &spec.stderr,
            spec.duration.nanos().max(0),
            spec.exit_code,
        );
    }
    let Some(program) = argv.first() else {
        return ExecPlan::done(0);
    };
    let base = program.rsplit('/').next().unwrap_or(program);
    let args = &argv[1..];
    match base {
        "sh" | "bash" | "ash" | "dash" if args.first().map(String::as_str) == Some("-c") => {
            let script = args.get(1).map_or("", String::as_str);
            let words: Vec<String> = script.split_whitespace().map(str::to_string).collect();
            let inner = plan(c, &words, now);
            match (&inner.start_error, words.first()) {
                (Some(_), Some(word)) => {
                    let message = if base == "bash" {
                        format!("bash: line 1: {word}: command not found\n")
                    } else {
                        format!("{base}: 1: {word}: not found\n")
                    };
                    ExecPlan::print(StdStream::Stderr, message, 127)
                }
                _ => inner,
            }
        }
        "echo" => ExecPlan::print(StdStream::Stdout, format!("{}\n", args.join(" ")), 0),
        "true" => ExecPlan::done(0),
        "false" => ExecPlan::done(1),
        "hostname" => ExecPlan::print(
            StdStream::Stdout,
            format!("{}\n", c.line_context.hostname),
            0,
        ),
        "whoami" => ExecPlan::print(StdStream::Stdout, "root\n".to_string(), 0),
        "date" => {
            let dt = timefmt::civil(now);
            let text = format!(
                "{} {} {:>2} {:02}:{:02}:{:02} UTC {}\n",
                ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                    [dt.weekday().to_monday_zero_offset() as usize],
                [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec"
                ][(dt.month() as usize).saturating_sub(1) % 12],
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                dt.year()
            );
            ExecPlan::print(StdStream::Stdout, text, 0)
        }
        "env" | "printenv" => {
            let mut text = format!(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME={}\n",
                c.line_context.hostname
            );
            for var in &c.spec.env {
                text.push_str(var);
                text.push('\n');
            }
            text.push_str("HOME=/root\n");
            ExecPlan::print(StdStream::Stdout, text, 0)
        }
        "cat" if args.first().map(String::as_str) == Some("/etc/hostname") => ExecPlan::print(
            StdStream::Stdout,
            format!("{}\n", c.line_context.hostname),
            0,
        ),
        "cat" => ExecPlan::print(
            StdStream::Stderr,
            format!(
                "cat: {}: No such file or directory\n",
                args.first().map_or("-", String::as_str)
            ),
            1,
        ),
        "sleep" => {
            let secs: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(0.0);
            ExecPlan {
                duration: (secs.max(0.0) * 1e9) as Nanos,
                ..ExecPlan::done(0)
            }
        }
        _ => {
            let reason = if program.contains('/') {
                format!("stat {program}: no such file or directory")
            } else {
                "executable file not found in $PATH".to_string()
            };
            ExecPlan {
                start_error: Some(format!(
                    "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": {reason}: unknown"
                )),
                ..ExecPlan::done(127)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::docker::container::build;
    use crate::sim::docker::scenario::DockerScenario;

    fn db() -> Container {
        let scenario: DockerScenario = serde_norway::from_str(
            "containers:\n  - name: db\n    image: postgres:15\n    env: [POSTGRES_USER=shop]\n    exec:\n      - argv: [pg_dump, -U, shop, shop]\n        stdout: \"--\\n-- PostgreSQL database dump\\n--\\n\"\n        stderr: \"pg_dump: dumping contents of table \\\"public.orders\\\"\\n\"\n        duration: 2s\n",
        )
        .unwrap();
        build(&scenario, 0, 1).unwrap().remove(0)
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_string()).collect()
    }

    #[test]
    fn scenario_commands_interleave_their_streams_over_the_duration() {
        let p = plan(&db(), &argv(&["pg_dump", "-U", "shop", "shop"]), 0);
        assert_eq!(p.exit_code, 0);
        assert_eq!(p.duration, 2_000_000_000);
        let streams: Vec<StdStream> = p.output.iter().map(|o| o.1).collect();
        assert_eq!(
            streams,
            [
                StdStream::Stdout,
                StdStream::Stderr,
                StdStream::Stdout,
                StdStream::Stdout
            ]
        );
        assert!(p.output.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(p.output[0].2, "--\n");
    }

    #[test]
    fn unknown_programs_fail_as_runc_reports() {
        let p = plan(&db(), &argv(&["nosuch", "--flag"]), 0);
        assert_eq!(p.exit_code, 127);
        assert_eq!(
            p.start_error.as_deref(),
            Some(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH: unknown"
            )
        );
        let shell = plan(&db(), &argv(&["sh", "-c", "nosuch"]), 0);
        assert_eq!(shell.exit_code, 127);
        assert_eq!(shell.output[0].2, "sh: 1: nosuch: not found\n");
        assert!(shell.start_error.is_none());
    }

    #[test]
    fn shell_basics_work_everywhere() {
        let c = db();
        assert_eq!(
            plan(&c, &argv(&["echo", "hi", "there"]), 0).output[0].2,
            "hi there\n"
        );
        assert_eq!(
            plan(&c, &argv(&["sh", "-c", "echo  ok"]), 0).output[0].2,
            "ok\n"
        );
        assert_eq!(plan(&c, &argv(&["false"]), 0).exit_code, 1);
        assert!(
            plan(&c, &argv(&["env"]), 0).output[0]
                .2
                .contains("POSTGRES_USER=shop\n")
        );
        assert_eq!(
            plan(&c, &argv(&["sleep", "1.5"]), 0).duration,
            1_500_000_000
        );
        assert_eq!(
            plan(&c, &argv(&["date"]), 1_795_371_578_000_000_000).output[0].2,
            "Sun Nov 22 18:19:38 UTC 2026\n"
        );
    }

    #[test]
    fn the_table_forgets_finished_instances_first() {
        let mut table = ExecTable::new(1);
        let record = ExecRecord {
            id: String::new(),
            container: 0,
            argv: argv(&["true"]),
            tty: false,
            attach_stdin: false,
            attach_stdout: true,
            attach_stderr: true,
            user: String::new(),
            privileged: false,
            working_dir: String::new(),
            started: false,
            running: false,
            exit_code: None,
            pid: 0,
        };
        let first = table.create(ExecRecord {
            running: true,
            ..record.clone()
        });
        let second = table.create(record.clone());
        for _ in 0..MAX_EXECS {
            table.create(record.clone());
        }
        assert!(table.get(&first).is_some(), "a running instance stays");
        assert!(table.get(&second).is_none());
        assert_eq!(table.ids_for(0), [first]);
    }
}
