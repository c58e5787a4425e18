//! The connector file's Jinja, compiled once and evaluated many times:
//! templates (`{{ … }}` text, rendered by a [`Renderer`]) and conditions
//! (bare expressions such as `status == 200 and body.ok == false`, each a
//! [`Condition`]). Both run in the closed sandbox of
//! [`holdfast_spec::sandbox`].

mod condition;
mod render;

pub(crate) use condition::Condition;
pub use render::render_with_env;
pub(crate) use render::{Renderer, Vars};
