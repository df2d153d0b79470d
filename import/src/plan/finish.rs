//! Phase 5: the plan is finished. The conventions read are listed
//! (numbering gaps, default deadline, traditional characters, tables pasted
//! one cell per line), the warnings gathered, the stored titles and bodies
//! restored to the document's own characters, and every source line
//! accounted for ([`super::account`]).

use super::account::account_for_every_line;
use super::body::Body;
use super::builder::Builder;
use super::front::Front;
use crate::clean;
use crate::deadline::Deadline;
use crate::{Convention, ParsedPlan, TaskKind, Warning};

/// What the earlier phases read, beside the tasks.
pub(super) struct Read {
    pub front: Front,
    pub body: Body,
    /// The document's own characters.
    pub input_source: String,
    pub traditional: bool,
    pub cell_tables: usize,
    pub default_deadline: Option<Deadline>,
    pub fingerprint: String,
}

pub(super) fn finish(mut b: Builder<'_>, read: Read) -> ParsedPlan {
    let Read {
        front,
        body,
        input_source,
        traditional,
        cell_tables,
        default_deadline,
        fingerprint,
    } = read;
    if !body.outline.notes.is_empty() {
        let notes: Vec<String> = body
            .outline
            .notes
            .iter()
            .map(|(code, note)| format!("{code}: {}", note.trim_start_matches("numbering skips: ")))
            .collect();
        b.conventions.push(Convention {
            code: "NUMBERING".into(),
            description: format!(
                "numbering with gaps, read on and warned (NUMBERING_SKIP): {}",
                notes.join("; ")
            ),
            from: body.outline.notes.first().map(|(c, _)| c.clone()),
            tasks: body
                .outline
                .notes
                .iter()
                .map(|(c, _)| c.clone())
                .take(200)
                .collect(),
        });
    }
    if let Some(d) = default_deadline {
        b.conventions.push(Convention {
            code: "DEFAULT_DEADLINE".into(),
            description: format!(
                "default deadline {} from a footnote (上表中未注明的…), for the rows that state none",
                d.date
            ),
            from: None,
            tasks: Vec::new(),
        });
    }
    if traditional {
        b.conventions.push(Convention {
            code: "TRADITIONAL_CHARACTERS".into(),
            description: "written in traditional characters: read with the same grammar; titles and bodies keep the document's characters, agency names are given in simplified form".into(),
            from: None,
            tasks: Vec::new(),
        });
    }
    if cell_tables > 0 {
        b.conventions.push(Convention {
            code: "CELL_PER_LINE_TABLE".into(),
            description: format!("{} table(s) pasted one cell per line, read as task sheets (rows by their running numbers)", cell_tables),
            from: None,
            tasks: Vec::new(),
        });
    }
    let mut warnings = b.warnings;
    if !b.tasks.iter().any(|t| t.kind != TaskKind::Heading) {
        warnings.push(Warning::new(
            "NO_TASKS",
            "no tasks were found in the document",
            None,
        ));
    }
    for t in &b.tasks {
        warnings.extend(t.warnings.iter().cloned());
    }
    // Stored text reads exactly as the document does: the grammar worked on
    // normalised text (ASCII punctuation, simplified characters).
    let mut restorer = clean::Restorer::new(&input_source);
    for t in &mut b.tasks {
        t.title = restorer.restore(&t.title);
        t.body = restorer.restore(&t.body);
    }
    let mut header = front.header;
    header.title = restorer.restore(&header.title);
    let table_context: Vec<crate::ContextText> = body
        .lists
        .iter()
        .flat_map(|l| l.context.clone())
        .chain(body.closing.iter().map(|l| crate::ContextText {
            kind: "closing".into(),
            text: restorer.restore(l),
        }))
        .collect();
    let context = account_for_every_line(
        &input_source,
        &header,
        &body.outline.preamble,
        &table_context,
        &mut b.tasks,
        &mut warnings,
    );
    ParsedPlan {
        title: header.title,
        document_number: header.document_number,
        issuers: front.issuers,
        issue_date: header.issue_date,
        region: front.region.name(),
        default_deadline,
        tasks: b.tasks,
        targets: b.targets,
        warnings,
        fingerprint,
        unconfirmed_agencies: b.unconfirmed,
        conventions: b.conventions,
        context,
    }
}
