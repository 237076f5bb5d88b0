//! Pure rules and types: no IO, no async, no database, git or web code.
//! Everything here is deterministic and tested exhaustively.

pub mod access;
pub mod anchor;
pub mod attachment;
pub mod base64;
pub mod calendar;
pub mod changes;
pub mod deploy;
pub mod drift;
pub mod duration;
pub mod email;
pub mod index;
pub mod intent;
pub mod limits;
pub mod live;
pub mod located;
pub mod mail;
pub mod manifest;
pub mod message;
pub mod names;
pub mod notify;
pub mod origin;
pub mod overlap;
pub mod patch;
pub mod pipeline;
pub mod problem;
pub mod promotion;
pub mod remote_url;
pub mod report;
pub mod rfc;
pub mod round;
pub mod scope;
pub mod signoff;
pub mod size;
pub mod stamp;
pub mod status;
pub mod template;
pub mod text;

pub use email::Email;
pub use located::{Located, OrderedMap, Pos};
pub use message::Msg;
pub use problem::Problem;
