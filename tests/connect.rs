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
fn an_empty_password_counts_as_none_as_in_libpq() {
    let (role, password) = password_role();
    let (host, port) = (host_of(url()), port_of(url()));
    let dir = tempfile::tempdir().unwrap();
    let file = write_passfile(
        dir.path(),
        &format!("{host}:{port}:*:{role}:{password}"),
        0o600,
    );
    // An empty PGPASSWORD, `password=` or URL password (the last two with PGPASSWORD set to
    // `pgpassword`, which they hide) ...
    let empty_password = |passfile: &std::path::Path, pgpassword: &str| {
        let mut env = as_role(role);
        env.env("PGPASSWORD", "");
        let mut conninfo = bare_conninfo();
        conninfo.env("PGPASSWORD", pgpassword).args([
            "-d",
            &format!("host={host} port={port} user={role} dbname=postgres password="),
        ]);
        let mut url = bare_conninfo();
        url.env("PGPASSWORD", pgpassword)
            .args(["-d", &format!("postgres://{role}:@{host}:{port}/postgres")]);
        [env, conninfo, url].map(|mut cmd| {
            cmd.env("PGPASSFILE", passfile);
            cmd
        })
    };
    // ... is none: the password file is read ...
    for mut cmd in empty_password(&file, "") {
        assert_eq!(
            conninfo_field(&conninfo(&mut cmd), "user"),
            *role,
            "{cmd:?}"
        );
    }
    // ... and without an entry there, the password is missing, whatever PGPASSWORD says.
    for mut cmd in empty_password(&dir.path().join("none"), password) {
        cmd.assert()
            .code(1)
            .stderr(predicate::str::contains("no password supplied"));
    }
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
            .filter(|l| !l.contains("connecting to") && !l.starts_with("  "))
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
    let (ca, ca_key) = (format!("{name}-ca.pem"), format!("{name}-ca.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
            "-keyout",
            &ca_key,
            "-out",
            &ca,
        ],
    );
    let (cert, key) = signed_cert(
        dir,
        name,
        &format!("{name}-server"),
        "DNS:localhost,IP:127.0.0.1",
        "2",
    );
    (dir.join(ca), cert, key)
}

#[test]
fn tls_verify_full_checks_the_certificate_authority() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_ca(dir.path(), "good");
    let (other_ca, _, _) = make_ca(dir.path(), "other");
    let sandbox = tls_sandbox(&cert, &key);
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
    let stderr = tls_error(&sandbox, "localhost", "verify-full", &other_ca);
    assert!(
        stderr.contains("not signed by a trusted CA")
            && stderr.contains("set sslrootcert to the CA certificate that signed it")
            && stderr.contains("sslmode=require"),
        "{stderr}"
    );
    // sslmode=require against a server without TLS is refused clearly.
    pgpubsub_conninfo()
        .args(["-d", &format!("{}?sslmode=require", url())])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the server does not accept TLS, but sslmode=require requires it",
        ));
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
    let (mut child, mut screen) = password_prompt_up(role, "");
    child.stdin.take().unwrap().write_all(keys).unwrap();
    std::io::Read::read_to_end(child.stdout.as_mut().unwrap(), &mut screen).unwrap();
    (
        child.wait().unwrap(),
        String::from_utf8_lossy(&screen).into_owned(),
    )
}

/// `script` running `conninfo -W` as `role` (then the shell commands `then`), once the prompt
/// is on its terminal; returns it with what the terminal showed so far.
fn password_prompt_up(role: &str, then: &str) -> (std::process::Child, Vec<u8>) {
    let command = format!(
        "{BIN} conninfo -W -h {} -p {} -U {role} -d postgres{then}",
        host_of(url()),
        port_of(url())
    );
    let mut child = clean(std::process::Command::new("script"))
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.as_mut().unwrap();
    let mut screen = Vec::new();
    let prompt = format!("Password for user {role}:");
    while !String::from_utf8_lossy(&screen).contains(&prompt) {
        let mut buf = [0u8; 256];
        let n = std::io::Read::read(stdout, &mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&screen));
        screen.extend_from_slice(&buf[..n]);
    }
    (child, screen)
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

#[test]
fn missing_password_says_how_to_give_one() {
    let (role, _) = password_role();
    let stderr = as_role(role).assert().code(1).get_output().stderr.clone();
    assert_eq!(
        String::from_utf8(stderr).unwrap().trim_end(),
        format!(
            "pgpubsub: could not connect to {}:{} (database \"postgres\", user \"{role}\"): no \
             password supplied, and the server requires one for user \"{role}\" (give it with -W, \
             PGPASSWORD or ~/.pgpass)",
            host_of(url()),
            port_of(url())
        )
    );
}

/// A loopback port where an HTTP server answers anything with a 400 and hangs up, as another
/// service on a mistyped port would. Serves `connections` clients.
fn http_port(connections: usize) -> (std::thread::JoinHandle<()>, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let mut stream = stream.unwrap();
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 1024]);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        }
    });
    (server, port)
}

#[test]
fn a_port_that_is_not_postgres_is_named() {
    let modes = ["prefer", "disable"];
    let (server, port) = http_port(modes.len());
    for sslmode in modes {
        let conninfo_text = format!("host=127.0.0.1 port={port} dbname=shop sslmode={sslmode}");
        let stderr = connect_error(
            &["-U", "alice", "-d", &conninfo_text],
            &format!("127.0.0.1:{port}"),
        );
        assert_eq!(
            stderr.trim_end(),
            format!(
                "pgpubsub: could not connect to 127.0.0.1:{port} (database \"shop\", user \
                 \"alice\"): the server did not answer like PostgreSQL (is another service \
                 listening on port {port}?)"
            ),
            "sslmode={sslmode}"
        );
    }
    server.join().unwrap();
}

/// Run openssl in `dir`, failing the test with its message.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    run_ok(
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir),
    );
}

/// A server certificate `stem`.pem/.key signed by the CA made by `make_ca` under `ca_name`,
/// naming only `san` and valid for `days` (0: it expires the second it is made).
fn signed_cert(
    dir: &std::path::Path,
    ca_name: &str,
    stem: &str,
    san: &str,
    days: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key, csr, ext) = (
        format!("{stem}.pem"),
        format!("{stem}.key"),
        format!("{stem}.csr"),
        format!("{stem}.ext"),
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=pgpubsub test server",
            "-keyout",
            &key,
            "-out",
            &csr,
        ],
    );
    std::fs::write(dir.join(&ext), format!("subjectAltName={san}\n")).unwrap();
    let (ca, ca_key) = (format!("{ca_name}-ca.pem"), format!("{ca_name}-ca.key"));
    openssl(
        dir,
        &[
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
            days,
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    );
    (dir.join(cert), dir.join(key))
}

/// A sandbox serving TLS with `cert` and `key`.
fn tls_sandbox(cert: &std::path::Path, key: &std::path::Path) -> Sandbox {
    start_sandbox(&[
        "--ssl-cert",
        cert.to_str().unwrap(),
        "--ssl-key",
        key.to_str().unwrap(),
    ])
}

/// The one-line error of `conninfo ARGS` (and no other settings), which must name `target`
/// (`host:port`) and no library internals.
fn connect_error(args: &[&str], target: &str) -> String {
    let stderr = pgpubsub_bare()
        .arg("conninfo")
        .args(args)
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("pgpubsub: could not connect to {target} ")),
        "{stderr}"
    );
    for internal in ["sqlx", "rustls", "::"] {
        assert!(!stderr.contains(internal), "{stderr}");
    }
    stderr
}

/// The error of `conninfo` connecting to `sandbox` at `host` with `sslmode` and `sslrootcert`.
fn tls_error(sandbox: &Sandbox, host: &str, sslmode: &str, root: &std::path::Path) -> String {
    let port = port_of(&sandbox.url);
    let conninfo_text = format!(
        "host={host} port={port} user=postgres sslmode={sslmode} sslrootcert={}",
        root.display()
    );
    connect_error(&["-d", &conninfo_text], &format!("{host}:{port}"))
}

#[test]
fn tls_self_signed_ca_as_server_certificate_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    // The server presents the CA certificate itself (CA:TRUE), trusted as its own root.
    let (ca, _, _) = make_ca(dir.path(), "self");
    let sandbox = tls_sandbox(&ca, &dir.path().join("self-ca.key"));
    let stderr = tls_error(&sandbox, "localhost", "verify-full", &ca);
    stop_sandbox(&sandbox);
    assert!(
        stderr.contains("the server's certificate is a CA certificate")
            && stderr.contains("sslrootcert")
            && stderr.contains("sslmode=require"),
        "{stderr}"
    );
}

#[test]
fn tls_wrong_host_name_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _) = make_ca(dir.path(), "named");
    let (cert, key) = signed_cert(dir.path(), "named", "elsewhere", "DNS:db.invalid", "2");
    let sandbox = tls_sandbox(&cert, &key);
    let stderr = tls_error(&sandbox, "127.0.0.1", "verify-full", &ca);
    assert!(
        stderr.contains("the server's certificate is for \"db.invalid\", not \"127.0.0.1\"")
            && stderr.contains("sslmode=verify-ca"),
        "{stderr}"
    );
    // The same CA without the name check connects: the name was the only fault.
    let out = conninfo(bare_conninfo().args([
        "-d",
        &format!(
            "host=127.0.0.1 port={} user=postgres sslmode=verify-ca sslrootcert={}",
            port_of(&sandbox.url),
            ca.display()
        ),
    ]));
    assert!(conninfo_field(&out, "ssl").starts_with("on (TLS"));
    stop_sandbox(&sandbox);
}

#[test]
fn tls_expired_certificate_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _) = make_ca(dir.path(), "dated");
    let (cert, key) = signed_cert(dir.path(), "dated", "expired", "DNS:localhost", "0");
    let second = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let signed = second();
    let sandbox = tls_sandbox(&cert, &key);
    // Valid up to the second it was signed in: connect once that second is over.
    while second() <= signed {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = tls_error(&sandbox, "localhost", "verify-full", &ca);
    stop_sandbox(&sandbox);
    assert!(
        stderr.contains("the server's certificate expired on ")
            && stderr.contains("renew it")
            && stderr.contains("sslmode=require"),
        "{stderr}"
    );
}

/// `conninfo -v ARGS` with PGCONNECT_TIMEOUT=`env_timeout` against a server that never
/// answers: still waiting after 2 s, and its --verbose line shows no connect timeout.
fn waits_without_limit(env_timeout: &str, args: &[&str]) {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let mut child = clean(std::process::Command::new(BIN))
        .env("PGCONNECT_TIMEOUT", env_timeout)
        .args(["conninfo", "-v", "-h", "127.0.0.1", "-p", &port])
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("connect timeout none"), "{args:?}: {line}");
    std::thread::sleep(Duration::from_secs(2));
    let status = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(status.is_none(), "{args:?} gave up: {status:?}");
}

#[test]
fn connect_timeout_zero_means_no_limit() {
    // A flag or URL zero beats PGCONNECT_TIMEOUT=1, which would end the wait.
    let cases: [(&str, &[&str]); 3] = [
        ("1", &["--connect-timeout", "0"]),
        ("1", &["-d", "postgres:///db?connect_timeout=0"]),
        ("0", &[]),
    ];
    std::thread::scope(|scope| {
        for (env_timeout, args) in cases {
            scope.spawn(move || waits_without_limit(env_timeout, args));
        }
    });
}

/// The processes below `pid` (children, grandchildren...) named `name`.
fn descendants_named(pid: u32, name: &str) -> Vec<u32> {
    let parent_of = |p: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()
    };
    let under = |mut p: u32| loop {
        match parent_of(p) {
            Some(parent) if parent == pid => return true,
            Some(parent) if parent > 1 => p = parent,
            _ => return false,
        }
    };
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&p| under(p))
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .collect()
}

#[test]
fn sigterm_at_the_password_prompt_ends_it_and_restores_the_terminal() {
    let (role, _) = password_role();
    let (mut child, mut screen) = password_prompt_up(role, "; echo \"exit=$?\"; stty -a");
    let pids = descendants_named(child.id(), "pgpubsub");
    assert_eq!(pids.len(), 1, "{pids:?}");
    // SAFETY: signalling the process this test started.
    unsafe { libc::kill(pids[0] as i32, libc::SIGTERM) };
    std::io::Read::read_to_end(child.stdout.as_mut().unwrap(), &mut screen).unwrap();
    child.wait().unwrap();
    let screen = String::from_utf8_lossy(&screen);
    assert!(screen.contains("exit=143"), "{screen}");
    assert!(!screen.contains("pgpubsub:"), "{screen}");
    // The shell's terminal echoes and reads lines again.
    for off in ["-echo ", "-icanon", "-isig"] {
        assert!(!screen.contains(off), "{off} left set: {screen}");
    }
}

#[test]
fn an_unreadable_tls_file_is_named_as_a_setting() {
    // A server that agrees to TLS, so that the client reads its certificate files.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 8]);
        let _ = stream.write_all(b"S");
        // Hold the connection until the client gives up.
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 1]);
    });
    let missing = tempfile::tempdir().unwrap().path().join("root.crt");
    let conninfo_text = format!(
        "host=127.0.0.1 port={port} sslmode=verify-full sslrootcert={}",
        missing.display()
    );
    let stderr = connect_error(&["-d", &conninfo_text], &format!("127.0.0.1:{port}"));
    assert!(
        stderr.contains("cannot read the file given as sslrootcert, sslcert or sslkey"),
        "{stderr}"
    );
    server.join().unwrap();
}

#[test]
fn the_readme_tour_shows_the_fields_conninfo_prints() {
    let readme = include_str!("../README.md");
    let tour = readme
        .split("$ pgpubsub conninfo\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README's conninfo tour");
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split('\t').next())
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect()
    };
    let printed = conninfo(&mut pgpubsub_conninfo());
    assert_eq!(
        names(tour),
        names(&String::from_utf8(printed).unwrap()),
        "README's conninfo tour is stale"
    );
}
