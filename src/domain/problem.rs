use std::fmt;

use serde::Serialize;

use super::Pos;

/// One thing wrong with a workspace file, reported as `file:line:column: message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl Problem {
    pub fn at(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        let known = pos.line > 0;
        Problem {
            file: file.into(),
            line: known.then_some(pos.line),
            column: known.then_some(pos.column.max(1)),
            message: message.into(),
        }
    }

    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Collects problems for one file.
pub struct Problems<'a> {
    file: &'a str,
    pub list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(file: &'a str) -> Self {
        Problems { file, list: Vec::new() }
    }

    pub fn add(&mut self, pos: Pos, message: impl Into<String>) {
        self.list.push(Problem::at(self.file, pos, message));
    }
}
