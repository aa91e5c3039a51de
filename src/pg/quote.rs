//! Quoting and parsing of SQL identifiers and literals, as PostgreSQL reads them. Every name
//! is always double-quoted when written out, so no keyword list is needed and mixed case,
//! spaces, quotes and dots survive exactly.

/// `name` as a quoted SQL identifier: `"name"`, with every `"` doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.name`, both quoted.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// `text` as a SQL string literal that reads the same whatever `standard_conforming_strings`
/// says: `'...'` with `'` doubled, or `E'...'` with `\` doubled too when it holds a backslash
/// (as the server's own `quote_literal` does).
pub fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// `body` dollar-quoted with a tag that does not occur in it (`$pgpubsub$`, else
/// `$pgpubsub1$`, ...), so that function bodies stay readable in `--dry-run` output.
pub fn dollar(body: &str) -> String {
    let tag = (0..)
        .map(|n| match n {
            0 => "$pgpubsub$".to_string(),
            n => format!("$pgpubsub{n}$"),
        })
        .find(|tag| !body.contains(tag.as_str()))
        .expect("some tag is free");
    format!("{tag}{body}{tag}")
}

/// Split `text` at `sep` outside double quotes and read each part as a SQL identifier, the
/// way psql's `\d` reads names: unquoted letters fold to lower case, `"..."` keeps its text
/// exactly (`""` is one quote), and the two may be mixed (`"My"Table` is `Mytable`).
pub fn parse_list(text: &str, sep: char) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut name = String::new();
    let mut quoted_any = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted_any = true;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            name.push('"');
                        }
                        Some('"') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("unterminated quoted name in {text:?}")),
                    }
                }
            }
            c if c == sep => names.push(finish(&mut name, &mut quoted_any, text)?),
            c if c.is_whitespace() => {
                // Spaces around a name are ignored, as in SQL; inside an unquoted one they
                // would make two words.
                let rest_is_blank = chars
                    .clone()
                    .take_while(|&c| c != sep)
                    .all(char::is_whitespace);
                if !name.is_empty() && !rest_is_blank {
                    return Err(format!(
                        "{text:?}: a name with spaces must be double-quoted"
                    ));
                }
            }
            c => name.push(c.to_ascii_lowercase()),
        }
    }
    names.push(finish(&mut name, &mut quoted_any, text)?);
    Ok(names)
}

/// End one name of `parse_list`: an empty unquoted name is an error (`a,,b`, `.t`).
fn finish(name: &mut String, quoted_any: &mut bool, text: &str) -> Result<String, String> {
    if name.is_empty() && !*quoted_any {
        return Err(format!("empty name in {text:?}"));
    }
    if name.is_empty() {
        return Err(format!("zero-length quoted name in {text:?}"));
    }
    *quoted_any = false;
    Ok(std::mem::take(name))
}

/// A table as the user wrote it: `name` or `schema.name`, in SQL identifier syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    /// The schema, when given; otherwise the server's search_path decides.
    pub schema: Option<String>,
    pub name: String,
}

impl TableName {
    /// Parse `orders`, `app.orders`, `"App"."Order Lines"`.
    pub fn parse(text: &str) -> Result<TableName, String> {
        let mut parts = parse_list(text, '.')?;
        match parts.len() {
            1 => Ok(TableName {
                schema: None,
                name: parts.remove(0),
            }),
            2 => Ok(TableName {
                name: parts.remove(1),
                schema: Some(parts.remove(0)),
            }),
            _ => Err(format!(
                "{text:?} is not a table name (write schema.table; quote names with dots)"
            )),
        }
    }

    /// The name as SQL text, quoted (for `to_regclass`).
    pub fn to_sql(&self) -> String {
        match &self.schema {
            Some(schema) => qualified(schema, &self.name),
            None => ident(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_with_quotes_doubled() {
        assert_eq!(ident("orders"), "\"orders\"");
        assert_eq!(ident("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(qualified("App", "a.b"), "\"App\".\"a.b\"");
    }

    #[test]
    fn literals_survive_either_string_setting() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b'"), "E'a\\\\b'''");
        assert_eq!(literal(""), "''");
    }

    #[test]
    fn dollar_tags_avoid_the_body() {
        assert_eq!(dollar("x"), "$pgpubsub$x$pgpubsub$");
        assert_eq!(
            dollar("a $pgpubsub$ b"),
            "$pgpubsub1$a $pgpubsub$ b$pgpubsub1$"
        );
    }

    #[test]
    fn names_fold_unless_quoted() {
        assert_eq!(parse_list("Id, \"Name\"", ',').unwrap(), ["id", "Name"]);
        assert_eq!(parse_list("\"a,b\",c", ',').unwrap(), ["a,b", "c"]);
        assert_eq!(
            parse_list("\"say \"\"hi\"\"\"", ',').unwrap(),
            ["say \"hi\""]
        );
        assert_eq!(parse_list("\"My\"Table", ',').unwrap(), ["Mytable"]);
        for bad in ["", "a,,b", "\"open", "two words", "\"\""] {
            assert!(parse_list(bad, ',').is_err(), "{bad}");
        }
    }

    #[test]
    fn table_names_take_an_optional_schema() {
        let t = TableName::parse("App.\"Order Lines\"").unwrap();
        assert_eq!(t.schema.as_deref(), Some("app"));
        assert_eq!(t.name, "Order Lines");
        assert_eq!(t.to_sql(), "\"app\".\"Order Lines\"");
        assert_eq!(TableName::parse("orders").unwrap().to_sql(), "\"orders\"");
        assert!(TableName::parse("a.b.c").is_err());
        assert!(TableName::parse("\"a.b\"").unwrap().schema.is_none());
    }
}
