//! PostgreSQL's own rules, for every room that writes SQL text: how identifiers and literals are
//! quoted and parsed (`quote`), and the SQL of the notify triggers pgpubsub installs (`trigger`),
//! so that `trigger add`, its `--dry-run` and the demo run one and the same generated text.
//! SQL text that embeds a name or a value is built only through these helpers. `normalize`
//! reads SQL text the other way: it takes the values out of other sessions' queries.

pub mod normalize;
pub mod quote;
pub mod trigger;
