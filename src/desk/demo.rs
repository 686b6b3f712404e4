//! Demo data: placeholder until the generator lands.
