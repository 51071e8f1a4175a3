//! Pure domain rules of Osez. This crate does no I/O: the geography is
//! compiled in, and everything else comes in as values.

pub mod account;
pub mod adviser;
pub mod application;
pub mod consultation;
pub mod contact;
pub mod demo;
pub mod geo;
pub mod import;
pub mod resource;
pub mod taxonomy;
pub mod text;

pub use adviser::{Adviser, AdviserId};
pub use geo::{Geography, Place};
pub use taxonomy::{Category, Kind, Sector, Specialty, StructureType};
