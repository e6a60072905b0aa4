//! A small builder for filtered queries: `WHERE` clauses with numbered `$n` placeholders and
//! their bound values, so list endpoints compose optional filters without string-pasting
//! user input.

use sqlx::any::{Any, AnyArguments};
use sqlx::query::Query;

/// A bound value.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// Conditions joined with AND, plus their values.
#[derive(Debug, Default, Clone)]
pub struct Where {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Where {
    pub fn new() -> Where {
        Where::default()
    }

    /// The placeholder the next bound value will get.
    pub fn next(&self) -> String {
        format!("${}", self.binds.len() + 1)
    }

    /// Adds `clause`, in which every `?` is replaced by the placeholder of the next value
    /// from `values`, in order.
    pub fn push(&mut self, clause: &str, values: impl IntoIterator<Item = Bind>) -> &mut Self {
        let mut out = String::with_capacity(clause.len() + 8);
        let mut values = values.into_iter();
        for ch in clause.chars() {
            if ch == '?'
                && let Some(v) = values.next()
            {
                out.push_str(&self.next());
                self.binds.push(v);
                continue;
            }
            out.push(ch);
        }
        self.clauses.push(out);
        self
    }

    /// `WHERE a AND b …`, or nothing.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Binds a value that is not part of a clause (a LIMIT, say) and returns its placeholder.
    pub fn bind(&mut self, v: Bind) -> String {
        let p = self.next();
        self.binds.push(v);
        p
    }

    /// Binds the collected values onto `q`, in order.
    pub fn apply<'q>(
        &self,
        mut q: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

fn escape_like(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    for ch in s.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p
}

/// A lower-cased `LIKE` pattern matching `s` anywhere, with `%`, `_` and `\` escaped (use
/// `ESCAPE '\'`).
pub fn contains(s: &str) -> Bind {
    Bind::Text(format!("%{}%", escape_like(s)))
}

/// A lower-cased `LIKE` pattern matching values that start with `s`.
pub fn prefix(s: &str) -> Bind {
    Bind::Text(format!("{}%", escape_like(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut w = Where::new();
        w.push("a = ?", [Bind::Int(1)]);
        w.push("(b LIKE ? OR c LIKE ?)", [contains("x"), contains("y")]);
        let limit = w.bind(Bind::Int(5));
        assert_eq!(w.sql(), " WHERE a = $1 AND (b LIKE $2 OR c LIKE $3)");
        assert_eq!(limit, "$4");
    }

    #[test]
    fn like_wildcards_in_input_are_escaped() {
        let Bind::Text(p) = contains("50%_a\\b") else {
            panic!()
        };
        assert_eq!(p, "%50\\%\\_a\\\\b%");
    }
}
