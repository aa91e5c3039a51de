//! Connecting wherever psql connects, against real servers: service files and their
//! precedence, host lists tried in order (and at random), the error listing every host, and
//! every libpq keyword honoured or refused by name.

mod common;

use common::*;
use predicates::prelude::*;
use std::path::Path;

/// A conninfo string for the shared server, plus `extra`.
fn shared(extra: &str) -> String {
    format!(
        "host={} port={} user=postgres dbname=postgres {extra}",
        host_of(url()),
        port_of(url())
    )
}

/// `pgpubsub conninfo` with no settings but `args`.
fn conninfo(args: &[&str]) -> assert_cmd::Command {
    let mut cmd = pgpubsub_bare();
    cmd.arg("conninfo").args(args);
    cmd
}

fn stdout_of(cmd: &mut assert_cmd::Command) -> Vec<u8> {
    cmd.assert().success().get_output().stdout.clone()
}

/// A database on the shared server only this test binary uses.
fn database(stem: &str) -> String {
    let db = format!("{stem}_{}", std::process::id());
    psql(&format!("CREATE DATABASE {db}"));
    db
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// A service section pointing at the shared server with `extra` lines.
fn section(name: &str, extra: &str) -> String {
    format!(
        "# test services\n[unrelated]\nhost=no-such-host.invalid\n\n[{name}]\nhost={}\nport={}\nuser=postgres\n{extra}",
        host_of(url()),
        port_of(url())
    )
}

#[test]
fn service_from_the_user_file() {
    let db = database("svc_user");
    let home = tempfile::tempdir().unwrap();
    write(
        &home.path().join(".pg_service.conf"),
        &section("mine", &format!("dbname={db}\n")),
    );
    let out = stdout_of(conninfo(&["-d", "service=mine"]).env("HOME", home.path()));
    assert_eq!(conninfo_field(&out, "database"), db);
    // PGSERVICE names it too, and so does a URL.
    let out = stdout_of(
        conninfo(&[])
            .env("HOME", home.path())
            .env("PGSERVICE", "mine"),
    );
    assert_eq!(conninfo_field(&out, "database"), db);
    let out = stdout_of(conninfo(&["-d", "postgresql:///?service=mine"]).env("HOME", home.path()));
    assert_eq!(conninfo_field(&out, "database"), db);
}

#[test]
fn service_from_pgservicefile_then_pgsysconfdir() {
    let db_file = database("svc_file");
    let db_sys = database("svc_sys");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.conf");
    write(&file, &section("a", &format!("dbname={db_file}\n")));
    let sys = dir.path().join("etc");
    std::fs::create_dir(&sys).unwrap();
    write(
        &sys.join("pg_service.conf"),
        &section("b", &format!("dbname={db_sys}\n")),
    );
    let run = |service: &str| {
        stdout_of(
            conninfo(&["-d", &format!("service={service}")])
                .env("PGSERVICEFILE", &file)
                .env("PGSYSCONFDIR", &sys),
        )
    };
    assert_eq!(conninfo_field(&run("a"), "database"), db_file);
    // Not in the user's file: the system-wide file is next.
    assert_eq!(conninfo_field(&run("b"), "database"), db_sys);
}

#[test]
fn service_precedence_between_command_line_and_environment() {
    let db_svc = database("svc_prec");
    let db_d = database("svc_d");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.conf");
    write(
        &file,
        &section(
            "p",
            &format!("dbname={db_svc}\napplication_name=from-service\n"),
        ),
    );
    // -d beats the service; the service beats PG*; PG* fills what the service leaves open.
    let out = stdout_of(
        conninfo(&["-d", &format!("service=p dbname={db_d}")])
            .env("PGSERVICEFILE", &file)
            .env("PGAPPNAME", "from-env")
            .env("PGDATABASE", "nope")
            .env("PGCONNECT_TIMEOUT", "7")
            .arg("-v"),
    );
    assert_eq!(conninfo_field(&out, "database"), db_d);
    assert_eq!(conninfo_field(&out, "application_name"), "from-service");
    let out = conninfo(&["-v", "-d", "service=p"])
        .env("PGSERVICEFILE", &file)
        .env("PGCONNECT_TIMEOUT", "7")
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connect timeout 7s"), "{stderr}");
    // -v names each source, the service file with its line.
    // One line per setting, not one long line.
    let dbname = format!(
        "dbname={db_svc} from service file {}, line 9",
        file.display()
    );
    assert!(stderr.lines().any(|l| l.trim() == dbname), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.trim() == "connect_timeout=7 from PGCONNECT_TIMEOUT"),
        "{stderr}"
    );
    // A flag beats the service too.
    let out = stdout_of(
        conninfo(&[
            "-d",
            "service=p",
            "-U",
            "postgres",
            "-p",
            &port_of(url()).to_string(),
        ])
        .env("PGSERVICEFILE", &file),
    );
    assert_eq!(conninfo_field(&out, "database"), db_svc);
}

#[test]
fn unknown_service_and_bad_lines_are_usage_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.conf");
    write(&file, &section("ok", "dbname=postgres\nport 5432\n"));
    conninfo(&["-d", "service=missing"])
        .env("PGSERVICEFILE", &file)
        .env("PGSYSCONFDIR", dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "definition of service \"missing\" not found",
        ));
    conninfo(&["-d", "service=ok"])
        .env("PGSERVICEFILE", &file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "syntax error in service file {}, line 10",
            file.display()
        )));
    // An unreadable file (a directory stands in: root reads any file).
    conninfo(&["-d", "service=ok"])
        .env("PGSERVICEFILE", dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "cannot read service file {}",
            dir.path().display()
        )));
    write(&file, "[k]\nkeepalives_idle=30\n");
    conninfo(&["-d", "service=k"])
        .env("PGSERVICEFILE", &file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "service file {}, line 2: keepalives_idle is not supported",
            file.display()
        )));
}

#[test]
fn hosts_are_tried_in_order_and_passed_over_hosts_are_named() {
    let (host, live) = (host_of(url()), port_of(url()));
    let dead = free_port();
    let out = conninfo(&[
        "-v",
        "-d",
        &format!("postgres://postgres@{host}:{dead},{host}:{live}/postgres"),
    ])
    .assert()
    .success()
    .get_output()
    .clone();
    assert_eq!(
        conninfo_field(&out.stdout, "host"),
        format!("{host}:{live}")
    );
    assert_eq!(conninfo_field(&out.stdout, "server_port"), live.to_string());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("passed over {host}:{dead}: connection refused")),
        "{stderr}"
    );
    // One port for every host; -h takes a list too.
    let out = stdout_of(&mut conninfo(&[
        "-h",
        &format!("no-such-host.invalid,{host}"),
        "-p",
        &live.to_string(),
        "-U",
        "postgres",
    ]));
    assert_eq!(conninfo_field(&out, "host"), format!("{host}:{live}"));
}

#[test]
fn port_flag_takes_one_port_per_host_as_psql_does() {
    let (host, live) = (host_of(url()), port_of(url()));
    let dead = free_port();
    let hosts = format!("{host},{host}");
    // -p a,b pairs with -h x,y: the refused first host is passed over for the second.
    let out = stdout_of(&mut conninfo(&[
        "-h",
        &hosts,
        "-p",
        &format!("{dead},{live}"),
        "-U",
        "postgres",
    ]));
    assert_eq!(conninfo_field(&out, "host"), format!("{host}:{live}"));
    // A list that does not pair up, and a bad port, in psql's words (usage errors).
    for (port, says) in [
        ("1,2,3", "could not match 3 port numbers to 2 hosts"),
        (
            "x",
            "invalid integer value \"x\" for connection option \"port\"",
        ),
        (
            "5432,99999999999",
            "invalid integer value \"99999999999\" for connection option \"port\"",
        ),
        ("70000", "invalid port number: \"70000\""),
        ("-1", "invalid port number: \"-1\""),
        ("0,1", "invalid port number: \"0\""),
    ] {
        conninfo(&["-h", &hosts, "-p", port, "-U", "postgres"])
            .assert()
            .code(2)
            .stderr(format!("pgpubsub: -p/--port: {says}\n"));
    }
}

#[test]
fn when_every_host_is_down_each_is_listed_with_its_reason() {
    let host = host_of(url());
    let (a, b) = (free_port(), free_port());
    let out = conninfo(&[
        "-d",
        &format!("host={host},no-such-host.invalid port={a},{b} user=postgres"),
    ])
    .assert()
    .code(1)
    .get_output()
    .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].contains("could not connect to any of 2 hosts"),
        "{stderr}"
    );
    assert!(
        lines[1].contains(&format!("{host}:{a}: connection refused")),
        "{stderr}"
    );
    assert!(
        lines[2].contains(&format!(
            "no-such-host.invalid:{b}: could not resolve host name"
        )),
        "{stderr}"
    );
}

#[test]
fn load_balance_hosts_random_reaches_both_servers() {
    let other = start_sandbox(&[]);
    let ports = [port_of(url()), port_of(&other.url)];
    let target = format!(
        "host={h},{h} port={},{} user=postgres dbname=postgres load_balance_hosts=random",
        ports[0],
        ports[1],
        h = host_of(url())
    );
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let out = stdout_of(&mut conninfo(&["-d", &target]));
        seen.insert(conninfo_field(&out, "server_port"));
    }
    assert_eq!(seen.len(), 2, "only {seen:?} reached");
    // Without it, the first host is always used.
    for _ in 0..3 {
        let out = stdout_of(&mut conninfo(&["-d", &target.replace("random", "disable")]));
        assert_eq!(conninfo_field(&out, "server_port"), ports[0].to_string());
    }
    stop_sandbox(&other);
}

/// What the table-driven keyword test expects of a `keyword=value`.
enum Expect {
    /// Connects, and conninfo's `field` shows `value`.
    Field(&'static str, &'static str),
    /// Connects.
    Connects,
    /// Refused by name before connecting (exit 2).
    Refused,
    /// Fails to connect (exit 1) with this in the message.
    Fails(&'static str),
}

/// Every connection keyword of libpq (PostgreSQL 18), each with a value and what it must do.
/// Keywords pgpubsub honours only for some values appear with one of each.
#[test]
fn every_libpq_keyword_is_honoured_or_refused_by_name() {
    use Expect::*;
    let (role, password) = password_role();
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    write(&passfile, &format!("*:*:*:{role}:{password}\n"));
    std::fs::set_permissions(
        &passfile,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let services = dir.path().join("services");
    write(&services, "[kw]\napplication_name=from-service\n");
    let passfile_kw = format!("user={role} passfile={}", passfile.display());
    let password_kw = format!("user={role} password={password}");
    let host = host_of(url());
    let cases: Vec<(&str, String, Expect)> = vec![
        (
            "service",
            "service=kw".into(),
            Field("application_name", "from-service"),
        ),
        (
            "user",
            format!("user={role} password={password}"),
            Field("user", role),
        ),
        ("password", password_kw.clone(), Connects),
        ("passfile", passfile_kw, Field("user", role)),
        ("channel_binding", "channel_binding=prefer".into(), Connects),
        ("channel_binding", "channel_binding=require".into(), Refused),
        ("connect_timeout", "connect_timeout=3".into(), Connects),
        (
            "dbname",
            "dbname=template1".into(),
            Field("database", "template1"),
        ),
        (
            "host",
            format!("host={host}"),
            Field("server_address", "127.0.0.1"),
        ),
        (
            "hostaddr",
            "host=no-such-host.invalid hostaddr=127.0.0.1".into(),
            Field("server_address", "127.0.0.1"),
        ),
        ("port", format!("port={}", port_of(url())), Connects),
        ("client_encoding", "client_encoding=UTF8".into(), Connects),
        ("client_encoding", "client_encoding=LATIN1".into(), Refused),
        (
            "options",
            "options='-c default_transaction_read_only=on' target_session_attrs=read-write".into(),
            Fails("read-only"),
        ),
        (
            "application_name",
            "application_name=kw-app".into(),
            Field("application_name", "kw-app"),
        ),
        (
            "fallback_application_name",
            "fallback_application_name=kw-fallback".into(),
            Field("application_name", "kw-fallback"),
        ),
        ("keepalives", "keepalives=0".into(), Connects),
        ("keepalives", "keepalives=1".into(), Refused),
        ("keepalives_idle", "keepalives_idle=30".into(), Refused),
        (
            "keepalives_interval",
            "keepalives_interval=5".into(),
            Refused,
        ),
        ("keepalives_count", "keepalives_count=3".into(), Refused),
        ("tcp_user_timeout", "tcp_user_timeout=1000".into(), Refused),
        ("replication", "replication=0".into(), Connects),
        ("replication", "replication=database".into(), Refused),
        ("gssencmode", "gssencmode=prefer".into(), Connects),
        ("gssencmode", "gssencmode=require".into(), Refused),
        ("sslmode", "sslmode=disable".into(), Field("ssl", "off")),
        ("sslmode", "sslmode=require".into(), Fails("TLS")),
        ("sslnegotiation", "sslnegotiation=postgres".into(), Connects),
        ("sslnegotiation", "sslnegotiation=direct".into(), Refused),
        ("sslcompression", "sslcompression=0".into(), Connects),
        ("sslcompression", "sslcompression=1".into(), Refused),
        // With TLS required, sqlx reads the certificate files (the server has no TLS, so
        // the refusal comes first; the TLS test covers sslrootcert end to end).
        (
            "sslcert",
            "sslcert=/no/such.crt sslmode=disable".into(),
            Connects,
        ),
        (
            "sslkey",
            "sslkey=/no/such.key sslmode=disable".into(),
            Connects,
        ),
        ("sslcertmode", "sslcertmode=disable".into(), Connects),
        ("sslcertmode", "sslcertmode=require".into(), Refused),
        ("sslpassword", "sslpassword=secret".into(), Refused),
        (
            "sslrootcert",
            "sslrootcert=/no/such/ca.crt sslmode=verify-full".into(),
            Fails("TLS"),
        ),
        ("sslcrl", "sslcrl=/etc/crl.pem".into(), Refused),
        ("sslcrldir", "sslcrldir=/etc/crl".into(), Refused),
        ("sslsni", "sslsni=1".into(), Connects),
        ("sslsni", "sslsni=0".into(), Refused),
        ("requirepeer", "requirepeer=postgres".into(), Refused),
        (
            "ssl_min_protocol_version",
            "ssl_min_protocol_version=TLSv1.2".into(),
            Connects,
        ),
        (
            "ssl_min_protocol_version",
            "ssl_min_protocol_version=TLSv1.3".into(),
            Refused,
        ),
        (
            "ssl_max_protocol_version",
            "ssl_max_protocol_version=TLSv1.3".into(),
            Connects,
        ),
        (
            "ssl_max_protocol_version",
            "ssl_max_protocol_version=TLSv1.2".into(),
            Refused,
        ),
        ("krbsrvname", "krbsrvname=postgres".into(), Refused),
        ("gsslib", "gsslib=gssapi".into(), Refused),
        ("gssdelegation", "gssdelegation=0".into(), Connects),
        ("gssdelegation", "gssdelegation=1".into(), Refused),
        ("require_auth", "require_auth=scram-sha-256".into(), Refused),
        // Protocol 3.0 is all the driver speaks: a range that includes it is honoured.
        (
            "min_protocol_version",
            "min_protocol_version=3.0".into(),
            Connects,
        ),
        (
            "min_protocol_version",
            "min_protocol_version=3.2".into(),
            Refused,
        ),
        (
            "min_protocol_version",
            "min_protocol_version=latest".into(),
            Refused,
        ),
        (
            "max_protocol_version",
            "max_protocol_version=3.0".into(),
            Connects,
        ),
        (
            "max_protocol_version",
            "max_protocol_version=latest".into(),
            Connects,
        ),
        (
            "max_protocol_version",
            "max_protocol_version=2.0".into(),
            Refused,
        ),
        (
            "target_session_attrs",
            "target_session_attrs=read-write".into(),
            Connects,
        ),
        (
            "target_session_attrs",
            "target_session_attrs=standby".into(),
            Fails("not a standby"),
        ),
        (
            "load_balance_hosts",
            "load_balance_hosts=disable".into(),
            Connects,
        ),
        ("scram_client_key", "scram_client_key=AAAA".into(), Refused),
        ("scram_server_key", "scram_server_key=AAAA".into(), Refused),
        (
            "oauth_issuer",
            "oauth_issuer=https://auth.example.com".into(),
            Refused,
        ),
        (
            "oauth_client_id",
            "oauth_client_id=pgpubsub".into(),
            Refused,
        ),
        (
            "oauth_client_secret",
            "oauth_client_secret=s3cr3t".into(),
            Refused,
        ),
        ("oauth_scope", "oauth_scope=openid".into(), Refused),
        (
            "sslkeylogfile",
            "sslkeylogfile=/tmp/keys.log".into(),
            Refused,
        ),
    ];
    for (keyword, setting, expect) in cases {
        // A role with a password connects over TCP with it; the others as the superuser.
        let base = if setting.contains(role.as_str()) {
            format!("host={host} port={} dbname=postgres", port_of(url()))
        } else {
            shared("")
        };
        let mut cmd = conninfo(&["-d", &format!("{base} {setting}")]);
        cmd.env("PGSERVICEFILE", &services);
        let out = cmd.output().unwrap();
        let (stdout, stderr) = (&out.stdout, String::from_utf8_lossy(&out.stderr));
        let context = format!("{setting}: {stderr}");
        match expect {
            Field(field, value) => {
                assert!(out.status.success(), "{context}");
                assert_eq!(conninfo_field(stdout, field), value, "{context}");
            }
            Connects => assert!(out.status.success(), "{context}"),
            Refused => {
                assert_eq!(out.status.code(), Some(2), "{context}");
                assert!(stderr.contains(keyword), "{context}");
                assert!(stderr.contains("not supported"), "{context}");
                assert!(!stderr.contains("s3cr3t"), "{context}");
            }
            Fails(text) => {
                assert_eq!(out.status.code(), Some(1), "{context}");
                assert!(stderr.contains(text), "{context}");
            }
        }
    }
}

#[test]
fn refused_environment_variables_are_named() {
    for (var, value) in [
        ("PGSSLCRL", "/etc/crl.pem"),
        ("PGKRBSRVNAME", "postgres"),
        ("PGCHANNELBINDING", "require"),
        ("PGREQUIREAUTH", "password"),
        ("PGMINPROTOCOLVERSION", "3.2"),
        ("PGMAXPROTOCOLVERSION", "2.0"),
    ] {
        conninfo(&["-d", &shared("")])
            .env(var, value)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(format!("pgpubsub: {var}: ")));
    }
    // A protocol range that includes 3.0 is honoured, from the environment too.
    conninfo(&["-d", &shared("")])
        .env("PGMINPROTOCOLVERSION", "3.0")
        .env("PGMAXPROTOCOLVERSION", "latest")
        .assert()
        .success();
    // PGOPTIONS carries run-time parameters, as `options` does.
    conninfo(&["-d", &shared("target_session_attrs=read-write")])
        .env("PGOPTIONS", "-c default_transaction_read_only=on")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("read-only"));
}
