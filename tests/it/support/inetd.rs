//! A server started the way inetd starts one: the test holds the listening
//! socket on loopback (so no other test can take its port) and runs the
//! server program once per connection, with the connection as its standard
//! input and output. `git daemon --inetd` and `sshd -i` work this way.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Inetd {
    pub port: u16,
    stop: Arc<AtomicBool>,
    children: Arc<Mutex<Vec<Child>>>,
    accepter: Option<std::thread::JoinHandle<()>>,
}

impl Inetd {
    /// Serves `command` on a free loopback port; what it writes to stderr
    /// is appended to `log`.
    pub fn start(mut command: Command, log: PathBuf) -> Inetd {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let children: Arc<Mutex<Vec<Child>>> = Arc::default();
        let accepter = {
            let (stop, children) = (stop.clone(), children.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let errors = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&log)
                        .unwrap();
                    let input = OwnedFd::from(conn.try_clone().unwrap());
                    let child = command
                        .stdin(Stdio::from(input))
                        .stdout(Stdio::from(OwnedFd::from(conn)))
                        .stderr(errors)
                        .spawn()
                        .unwrap_or_else(|e| panic!("start {:?}: {e}", command.get_program()));
                    let mut all = children.lock().unwrap();
                    all.retain_mut(|c| c.try_wait().ok().flatten().is_none());
                    all.push(child);
                }
            })
        };
        Inetd {
            port,
            stop,
            children,
            accepter: Some(accepter),
        }
    }
}

impl Drop for Inetd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(t) = self.accepter.take() {
            let _ = t.join();
        }
        for mut c in self.children.lock().unwrap().drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
