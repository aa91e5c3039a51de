//! Connection settings and connection errors, checked against a real server: precedence
//! (flags > DATABASE_URL > libpq environment > defaults), .pgpass, passwords never shown,
//! human one-line errors, timeouts and TLS verification.

mod common;

use common::*;
use predicates::prelude::*;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Three databases, one per precedence level, created once for this binary.
fn databases() -> &'static [String; 3] {
    static DBS: OnceLock<[String; 3]> = OnceLock::new();
    DBS.get_or_init(|| {
        let dbs =
            ["flag", "url", "env"].map(|level| format!("prec_{level}_{}", std::process::id()));
        for db in &dbs {
            psql(&format!("CREATE DATABASE {db}"));
        }
        dbs
    })
}

/// Run `conninfo` (the command's arguments already given) and return its output.
fn conninfo(cmd: &mut assert_cmd::Command) -> Vec<u8> {
    cmd.assert().success().get_output().stdout.clone()
}

/// `pgpubsub conninfo` on the shared server.
fn pgpubsub_conninfo() -> assert_cmd::Command {
    let mut cmd = pgpubsub();
    cmd.arg("conninfo");
    cmd
}

/// `pgpubsub conninfo` with no connection settings.
fn bare_conninfo() -> assert_cmd::Command {
    let mut cmd = pgpubsub_bare();
    cmd.arg("conninfo");
    cmd
}

#[test]
fn dbname_flag_beats_database_url() {
    let [flag, url_db, _] = databases();
    let out = conninfo(
        pgpubsub_conninfo()
            .env("DATABASE_URL", url_with_db(url_db))
            .args(["-d", flag]),
    );
    assert_eq!(conninfo_field(&out, "database"), *flag);
}

#[test]
fn port_flag_beats_database_url() {
    let mut wrong = url::Url::parse(url()).unwrap();
    wrong.set_port(Some(1)).unwrap();
    let port = port_of(url()).to_string();
    let out = conninfo(
        pgpubsub_conninfo()
            .env("DATABASE_URL", wrong.as_str())
            .args(["-p", &port]),
    );
    assert_eq!(conninfo_field(&out, "server_port"), port);
}

#[test]
fn database_url_beats_environment() {
    let [_, url_db, env_db] = databases();
    let out = conninfo(
        pgpubsub_conninfo()
            .env("DATABASE_URL", url_with_db(url_db))
            .env("PGDATABASE", env_db)
            .env("PGPORT", "1")
            .env("PGHOST", "no-such-host.invalid")
            .env("PGAPPNAME", "from-env"),
    );
    assert_eq!(conninfo_field(&out, "database"), *url_db);
    // What DATABASE_URL does not say still comes from the environment.
    assert_eq!(conninfo_field(&out, "application_name"), "from-env");
}

#[test]
fn environment_beats_defaults() {
    let [_, _, env_db] = databases();
    let out = conninfo(
        bare_conninfo()
            .env("PGHOST", host_of(url()))
            .env("PGPORT", port_of(url()).to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", env_db)
            .env("PGAPPNAME", "from-env"),
    );
    assert_eq!(conninfo_field(&out, "database"), *env_db);
    assert_eq!(conninfo_field(&out, "application_name"), "from-env");
}

#[test]
fn defaults_apply_when_nothing_is_said() {
    // Defaults: application_name pgpubsub; database = user = the OS user.
    let out = conninfo(&mut pgpubsub_conninfo());
    assert_eq!(conninfo_field(&out, "application_name"), "pgpubsub");
    let me = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let me = me.trim();
    bare_conninfo()
        .env("PGHOST", host_of(url()))
        .env("PGPORT", port_of(url()).to_string())
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "(database \"{me}\", user \"{me}\")"
        )));
}

#[test]
fn conninfo_string_and_host_flag() {
    let [flag, _, _] = databases();
    let conninfo_text = format!(
        "host={} port={} user=postgres dbname='{flag}' application_name='conn info'",
        host_of(url()),
        port_of(url())
    );
    let out = conninfo(bare_conninfo().args(["-d", &conninfo_text]));
    assert_eq!(conninfo_field(&out, "database"), *flag);
    assert_eq!(conninfo_field(&out, "application_name"), "conn info");
    // -h beats the host inside -d.
    pgpubsub_bare()
        .args([
            "conninfo",
            "-d",
            &conninfo_text,
            "-h",
            "no-such-host.invalid",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "could not resolve host name \"no-such-host.invalid\"",
        ));
}

#[test]
fn unix_socket_directory_as_host() {
    let Some(sandbox) = shared_sandbox() else {
        return;
    };
    let dir = sandbox.dir.to_str().unwrap();
    let out = conninfo(bare_conninfo().args([
        "-h",
        dir,
        "-p",
        &port_of(url()).to_string(),
        "-U",
        "postgres",
    ]));
    assert_eq!(conninfo_field(&out, "server_address"), "unix socket");
}

fn write_passfile(dir: &std::path::Path, line: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.join("pgpass");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "# comment\nother:1:*:*:nope\n{line}").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn as_role(role: &str) -> assert_cmd::Command {
    let mut cmd = bare_conninfo();
    cmd.args([
        "-h",
        &host_of(url()),
        "-p",
        &port_of(url()).to_string(),
        "-U",
        role,
        "-d",
        "postgres",
    ]);
    cmd
}

#[test]
fn pgpass_entry_is_used() {
    let (role, password) = password_role();
    let dir = tempfile::tempdir().unwrap();
    let file = write_passfile(
        dir.path(),
        &format!("{}:{}:*:{role}:{password}", host_of(url()), port_of(url())),
        0o600,
    );
    let out = conninfo(as_role(role).env("PGPASSFILE", &file));
    assert_eq!(conninfo_field(&out, "user"), *role);
    // ~/.pgpass is the default file.
    std::fs::rename(&file, dir.path().join(".pgpass")).unwrap();
    let out = conninfo(as_role(role).env("HOME", dir.path()));
    assert_eq!(conninfo_field(&out, "user"), *role);
}

#[test]
fn world_readable_pgpass_is_ignored_with_a_warning() {
    let (role, password) = password_role();
    let dir = tempfile::tempdir().unwrap();
    let file = write_passfile(dir.path(), &format!("*:*:*:{role}:{password}"), 0o644);
    as_role(role)
        .env("PGPASSFILE", &file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("group or world access"));
}

#[test]
fn wrong_password_fails_without_showing_it() {
    let (role, _) = password_role();
    let secret = "WrongPass-do-not-print-42";
    let bad_url = format!(
        "postgres://{role}:{secret}@{}:{}/postgres",
        host_of(url()),
        port_of(url())
    );
    for verbose in [false, true] {
        let mut cmd = bare_conninfo();
        cmd.env("DATABASE_URL", &bad_url);
        if verbose {
            cmd.arg("-v");
        }
        let out = cmd.assert().code(1).get_output().clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
        assert!(!all.contains(secret), "password leaked: {all}");
        assert!(
            stderr.contains(&format!(
                "password authentication failed for user \"{role}\""
            )),
            "{stderr}"
        );
        assert!(stderr.contains(&format!(":{}", port_of(url()))), "{stderr}");
        let error_lines = stderr
            .lines()
            .filter(|l| !l.contains("connecting to"))
            .count();
        assert_eq!(error_lines, 1, "{stderr}");
        if verbose {
            assert!(stderr.contains(":***@"), "redacted URL expected: {stderr}");
        }
    }
}

#[test]
fn connection_refused_is_one_line_naming_the_target() {
    let port = free_port();
    let out = pgpubsub_bare()
        .args([
            "conninfo",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "alice",
            "-d",
            "shop",
        ])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).unwrap();
    assert_eq!(
        stderr.trim_end(),
        format!("pgpubsub: could not connect to 127.0.0.1:{port} (database \"shop\", user \"alice\"): connection refused (is the server running and accepting TCP/IP connections?)")
    );
}

#[test]
fn unresolvable_host_is_one_line_naming_it() {
    let out = pgpubsub_bare()
        .args(["conninfo", "-h", "no-such-host.invalid"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("pgpubsub: could not connect to no-such-host.invalid:5432"),
        "{stderr}"
    );
    assert!(stderr.contains("could not resolve host name"), "{stderr}");
}

/// A loopback port that drops connection attempts like a firewall would: a listener whose
/// accept queue (backlog 0) is already full, so the kernel ignores further SYNs. The returned
/// socket and fillers keep it so.
fn blackholed_port() -> (std::os::fd::OwnedFd, Vec<std::net::TcpStream>, u16) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a socket we own; sockaddr_in is plain data.
    let (fd, port) = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
            0
        );
        assert_eq!(libc::listen(fd, 0), 0);
        let mut len = len;
        libc::getsockname(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len);
        (
            std::os::fd::OwnedFd::from_raw_fd(fd),
            u16::from_be(addr.sin_port),
        )
    };
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut fillers = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&target, Duration::from_millis(300))
    {
        fillers.push(stream);
        assert!(fillers.len() < 16, "the accept queue never filled");
    }
    (fd, fillers, port)
}

/// `conninfo --connect-timeout 1s` against `port` fails within ~2 s naming the target.
fn times_out_promptly(port: u16) {
    let started = Instant::now();
    pgpubsub_bare()
        .args([
            "conninfo",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--connect-timeout",
            "1s",
        ])
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(format!("127.0.0.1:{port}"))
                .and(predicate::str::contains("timed out after 1s")),
        );
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[test]
fn connect_timeout_bounds_a_blackholed_port() {
    let (_socket, _fillers, port) = blackholed_port();
    times_out_promptly(port);
}

#[test]
fn connect_timeout_bounds_a_silent_server() {
    // A listener that never answers: the TCP handshake completes, the startup reply never comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    times_out_promptly(port);
    let port = port.to_string();
    // PGCONNECT_TIMEOUT is honoured too (whole seconds, as in libpq).
    pgpubsub_bare()
        .env("PGCONNECT_TIMEOUT", "1")
        .args(["conninfo", "-h", "127.0.0.1", "-p", &port])
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("timed out after 1s"));
}

/// A CA and a server certificate for `localhost`, made with openssl.
fn make_ca(
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (ca, ca_key) = (format!("{name}-ca.pem"), format!("{name}-ca.key"));
    let (cert, key, csr) = (
        format!("{name}-server.pem"),
        format!("{name}-server.key"),
        format!("{name}.csr"),
    );
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={name} test CA"),
        "-keyout",
        &ca_key,
        "-out",
        &ca,
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &key,
        "-out",
        &csr,
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        &cert,
    ]);
    (dir.join(ca), dir.join(cert), dir.join(key))
}

#[test]
fn tls_verify_full_checks_the_certificate_authority() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_ca(dir.path(), "good");
    let (other_ca, _, _) = make_ca(dir.path(), "other");
    let sandbox = start_sandbox(&[
        "--ssl-cert",
        cert.to_str().unwrap(),
        "--ssl-key",
        key.to_str().unwrap(),
    ]);
    let port = port_of(&sandbox.url).to_string();
    let verify = |root: &std::path::Path| {
        format!(
            "host=localhost port={port} user=postgres sslmode=verify-full sslrootcert={}",
            root.display()
        )
    };
    let out = conninfo(bare_conninfo().args(["-d", &verify(&ca)]));
    assert!(
        conninfo_field(&out, "ssl").starts_with("on (TLS"),
        "{}",
        conninfo_field(&out, "ssl")
    );
    // The same through the environment.
    let out = conninfo(
        bare_conninfo()
            .env("PGSSLMODE", "verify-full")
            .env("PGSSLROOTCERT", &ca)
            .args(["-h", "localhost", "-p", &port, "-U", "postgres"]),
    );
    assert!(conninfo_field(&out, "ssl").starts_with("on (TLS"));
    let stderr = pgpubsub_bare()
        .args(["conninfo", "-d", &verify(&other_ca)])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("could not connect to localhost:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("TLS error"), "{stderr}");
    // sslmode=require against a server without TLS is refused clearly.
    pgpubsub_conninfo()
        .args(["-d", &format!("{}?sslmode=require", url())])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("TLS"));
}

#[test]
fn bad_settings_are_usage_errors() {
    pgpubsub_bare()
        .env("PGPORT", "http")
        .arg("conninfo")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PGPORT"));
    pgpubsub_bare()
        .env(
            "DATABASE_URL",
            "postgres://u:hunter2@h/db?sslmode=sometimes",
        )
        .arg("conninfo")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sslmode").and(predicate::str::contains("hunter2").not()));
    bare_conninfo()
        .args(["--connect-timeout", "soon"])
        .assert()
        .code(2);
}

/// Run `conninfo -W` as `role` on a terminal (`script` provides one), type `keys` once the
/// prompt is up, as a person would, and return the exit status and everything the terminal showed.
fn at_password_prompt(role: &str, keys: &[u8]) -> (std::process::ExitStatus, String) {
    let command = format!(
        "{BIN} conninfo -W -h {} -p {} -U {role} -d postgres",
        host_of(url()),
        port_of(url())
    );
    let mut child = clean(std::process::Command::new("script"))
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut screen = Vec::new();
    let prompt = format!("Password for user {role}:");
    while !String::from_utf8_lossy(&screen).contains(&prompt) {
        let mut buf = [0u8; 256];
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&screen));
        screen.extend_from_slice(&buf[..n]);
    }
    child.stdin.take().unwrap().write_all(keys).unwrap();
    std::io::Read::read_to_end(&mut stdout, &mut screen).unwrap();
    (
        child.wait().unwrap(),
        String::from_utf8_lossy(&screen).into_owned(),
    )
}

#[test]
fn password_prompt_reads_the_terminal_without_echo() {
    let (role, password) = password_role();
    // Typed the instant the prompt appears: echo must already be off by then.
    let (status, screen) = at_password_prompt(role, format!("{password}\n").as_bytes());
    assert!(status.success(), "{screen}");
    assert!(screen.contains(&format!("user\t{role}")), "{screen}");
    assert!(
        !screen.contains(password.as_str()),
        "password echoed: {screen}"
    );
}

#[test]
fn ctrl_c_at_the_password_prompt_exits_130_quietly() {
    let (role, password) = password_role();
    let (status, screen) = at_password_prompt(role, format!("{password}\x03").as_bytes());
    assert_eq!(status.code(), Some(130), "{screen}");
    assert!(!screen.contains("pgpubsub:"), "{screen}");
    assert!(!screen.contains(password.as_str()), "{screen}");
}
