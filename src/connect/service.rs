//! Connection service files (`pg_service.conf`), read as libpq reads them: the user's file
//! (`PGSERVICEFILE`, else `~/.pg_service.conf`) first, then the system-wide one
//! (`$PGSYSCONFDIR/pg_service.conf`, by default in the PostgreSQL installation's sysconfdir).
//! A file holds `[name]` sections of `keyword=value` lines; `#` starts a comment line. Teams
//! share these files so that `service=prod` means the same servers to every tool.

use super::params::{Params, Source};
use std::path::{Path, PathBuf};

/// Where libpq looks when neither PGSYSCONFDIR nor `pg_config` says (Debian's build).
const FALLBACK_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The settings of service `name`, or an error that names the file and line at fault, or
/// says that no file defines the service.
pub fn lookup(name: &str, var: &impl Fn(&str) -> Option<String>) -> Result<Params, String> {
    let user_file = var("PGSERVICEFILE")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".pg_service.conf")));
    let mut looked = Vec::new();
    if let Some(file) = user_file {
        if let Some(params) = read(&file, name)? {
            return Ok(params);
        }
        looked.push(file);
    }
    let system_file = sysconfdir(var).join("pg_service.conf");
    if let Some(params) = read(&system_file, name)? {
        return Ok(params);
    }
    looked.push(system_file);
    let looked: Vec<String> = looked.iter().map(|f| f.display().to_string()).collect();
    Err(format!(
        "definition of service \"{name}\" not found (looked in {})",
        looked.join(" and ")
    ))
}

/// PGSYSCONFDIR, else the sysconfdir `pg_config` reports, else Debian's.
fn sysconfdir(var: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = var("PGSYSCONFDIR").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    std::process::Command::new("pg_config")
        .arg("--sysconfdir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or_else(|| FALLBACK_SYSCONFDIR.into())
}

/// The section `name` of `file`: `None` when the file does not exist or has no such section.
fn read(file: &Path, name: &str) -> Result<Option<Params>, String> {
    let text = match std::fs::read(file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read service file {}: {e}", file.display())),
    };
    parse(&text, file, name)
}

/// libpq's rules: lines are trimmed; blank and `#` lines are skipped; `[name]` opens a
/// section and the next section closes it; inside the wanted section every line must be
/// `keyword=value` with a known keyword other than `service`. Lines of other sections are
/// not looked at.
fn parse(text: &str, file: &Path, name: &str) -> Result<Option<Params>, String> {
    let mut params: Option<Params> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("service file {}, line {}", file.display(), index + 1);
        if let Some(section) = line.strip_prefix('[') {
            if params.is_some() {
                break;
            }
            if section.strip_suffix(']') == Some(name) {
                params = Some(Params::default());
            }
            continue;
        }
        let Some(params) = params.as_mut() else {
            continue;
        };
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("syntax error in {}: expected keyword=value", at()))?;
        if key == "service" {
            return Err(format!(
                "nested service specifications are not supported ({})",
                at()
            ));
        }
        let source = Source::Service {
            file: file.to_path_buf(),
            line: index + 1,
        };
        // As in libpq, the first value of a keyword in the section is the one used.
        if params.get(key).is_none() {
            params
                .set(key, value.to_string(), source)
                .map_err(|e| format!("syntax error in {}: {e}", at()))?;
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# shared services
[other]
this line is not looked at

[prod]
  host=db1,db2
port=5432
host=ignored
# a comment
target_session_attrs=read-write
[next]
host=x
";

    #[test]
    fn reads_only_the_wanted_section() {
        let p = parse(FILE, Path::new("f"), "prod").unwrap().unwrap();
        assert_eq!(p.value("host"), Some("db1,db2"));
        assert_eq!(p.value("port"), Some("5432"));
        assert_eq!(p.value("target_session_attrs"), Some("read-write"));
        let Source::Service { line, .. } = &p.get("host").unwrap().source else {
            panic!("not from the service file");
        };
        assert_eq!(*line, 6);
        assert!(parse(FILE, Path::new("f"), "missing").unwrap().is_none());
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let err = parse("[a]\nhost=h\nport 5\n", Path::new("/x/s.conf"), "a").unwrap_err();
        assert!(err.contains("/x/s.conf, line 3"), "{err}");
        let err = parse("[a]\nbogus=1\n", Path::new("f"), "a").unwrap_err();
        assert!(err.contains("line 2") && err.contains("bogus"), "{err}");
        let err = parse("[a]\nservice=b\n", Path::new("f"), "a").unwrap_err();
        assert!(err.contains("nested"), "{err}");
    }
}
