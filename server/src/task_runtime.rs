//! Where tasks run (imports, builds, evaluations): a tokio runtime of their own whose threads,
//! its blocking pool included, run at a lower CPU priority than the HTTP workers. Threads
//! started from them inherit it, and so does the SQLite writer connection's, which
//! `store::connect` opens from here (best effort: a connection sqlx has to reopen after a
//! failure gets the priority of whichever thread reopens it).
//!
//! Why: a task spawned from a handler would run on that handler's worker thread and hold up
//! every request on it between two awaits; and on a small machine a busy import would take CPU
//! time the requests need. At the lower priority an import still has all the CPU nobody else
//! asks for, so alone it runs at full speed.
//!
//! The periodic workers (search indexing, task leases) stay on the server's own runtime: the
//! indexer calls tantivy's blocking writer, which must not hold up the tasks' few threads.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

/// How much lower than the process's the task threads' CPU priority is, in nice steps (Linux;
/// elsewhere they keep the process's).
const LOWER_PRIORITY: i32 = 10;

/// Worker threads of the task runtime. Tasks mostly await the store and hand their heaviest
/// work (reading and checking rows, compiling) to the blocking pool, so two threads keep
/// several tasks going.
const WORKER_THREADS: usize = 2;

/// Runs `task` on the task runtime, started on first use and kept for the life of the process.
pub fn spawn<T>(task: T) -> JoinHandle<T::Output>
where
    T: Future + Send + 'static,
    T::Output: Send + 'static,
{
    runtime().spawn(task)
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("lexset-tasks")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()
            // Without threads the process cannot run any task; nothing to recover to.
            .expect("the operating system starts the task threads")
    })
}

/// Sets the calling thread's nice value to the process's (its main thread's) plus
/// [`LOWER_PRIORITY`]: absolute rather than relative, since a thread inherits the nice value of
/// the thread that starts it, and task threads start others.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: the libc calls here and below take plain integers, no pointers, and touch no
    // Rust state. On Linux a thread id names one thread: getpriority(PRIO_PROCESS, pid) reads
    // the main thread's nice value and setpriority(PRIO_PROCESS, tid) changes only the calling
    // thread's.
    let changed = unsafe {
        let thread = libc::gettid() as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, lowered(process_nice()))
    };
    if changed != 0 {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "task thread keeps its CPU priority"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// The process's nice value: its main thread's.
#[cfg(target_os = "linux")]
fn process_nice() -> i32 {
    // SAFETY: as in `lower_priority`.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::getpid() as libc::id_t) }
}

/// The nice value [`LOWER_PRIORITY`] below `base`, at most 19 (the lowest priority).
#[cfg(target_os = "linux")]
fn lowered(base: i32) -> i32 {
    (base + LOWER_PRIORITY).min(19)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of_this_thread() -> i32 {
        // SAFETY: as in `lower_priority`.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[test]
    fn tasks_and_the_threads_they_start_run_below_the_process() {
        let base = process_nice();
        let caller = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (task, started) = caller
            .block_on(spawn(async {
                let started = std::thread::spawn(nice_of_this_thread).join();
                (nice_of_this_thread(), started)
            }))
            .expect("the task runs");
        assert_eq!(task, lowered(base));
        assert_eq!(started.expect("joins"), lowered(base), "inherited");
        let blocking = caller
            .block_on(spawn(async {
                tokio::task::spawn_blocking(nice_of_this_thread).await
            }))
            .expect("the task runs")
            .expect("the blocking work runs");
        assert_eq!(blocking, lowered(base));
    }
}
