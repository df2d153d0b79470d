//! Assembles a [`ParsedPlan`] from decoded blocks, in five phases, one file
//! each:
//!
//! 1. [`input`] — the blocks become clean lines and grids: tables pasted one
//!    cell per line become grids, the rest is cleaned ([`crate::clean`]); the
//!    document's own characters are kept for restoring stored text;
//! 2. [`front`] — the header (title, 文号, issuers, date) and the region the
//!    relative names are qualified with;
//! 3. [`body`] — flattened lists and sheets are taken out, text after the
//!    attachment mark is cut (with a warning when it held tasks), and the rest
//!    is read as an outline ([`crate::outline`]);
//! 4. [`outline_tasks`] and [`list_tasks`] — every outline node and every list
//!    row becomes a heading or task with its roles ([`builder`] applies the
//!    responsibility clause and the standing rules), deadline ([`years`]) and
//!    targets;
//! 5. [`finish`] — the conventions read, the warnings gathered, the stored
//!    text restored to the document's characters, and every line accounted for
//!    ([`account`]: no silent loss).

mod account;
mod body;
mod builder;
mod closing;
mod duties;
mod finish;
mod front;
mod input;
mod list_tasks;
mod outline_tasks;
mod trailing_clause;
mod years;

#[cfg(test)]
mod tests;

use crate::docx::Block;
use crate::registry::Registry;
use crate::{ParseOptions, ParsedPlan};

/// Fingerprint of a document with no text at all.
pub(crate) const EMPTY_FINGERPRINT: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The single year a title names (`2016年民生实事目标任务分解表` → 2016).
pub(crate) fn title_year(title: &str) -> Option<i32> {
    years::plan_year(title, None)
}

/// Builds the plan from decoded blocks.
pub(crate) fn build_plan(
    blocks: Vec<Block>,
    registry: &Registry,
    options: &ParseOptions,
) -> ParsedPlan {
    let input = input::read_blocks(blocks);
    let print = input::fingerprint(&input.lines, &input.grids);
    let mut lines = input.lines;
    let front = front::read_front(&mut lines, &input.grids, registry, options);
    let body = body::read_body(&lines, &input.grids, &front.region, registry);
    let plan_year = years::read_plan_year(
        &front.header.title,
        front.header.issue_date,
        front.header.document_number.as_deref(),
        options.plan_year,
        &lines,
    );
    let mut b = builder::Builder::new(registry, front.region.clone(), plan_year);
    b.issue_date = front.header.issue_date;
    b.owner = front.owner.clone();
    b.start(&body, &front);
    outline_tasks::add_outline_tasks(&mut b, &body);
    let default_deadline = list_tasks::add_list_tasks(&mut b, &body.lists);
    finish::finish(
        b,
        finish::Read {
            front,
            body,
            input_source: input.source,
            traditional: input.traditional,
            cell_tables: input.cell_tables,
            default_deadline,
            fingerprint: print,
        },
    )
}
