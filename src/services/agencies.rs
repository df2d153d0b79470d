//! Agencies (单位), their contact people, and merging duplicates into one record.

use chrono::{DateTime, Utc};
use entity::{agency, assignment, contact, extension_request, progress_report, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::audit::{self, Change};
use super::snapshot;
use crate::auth::Viewer;
use crate::domain::{AgencyKind, AgencyLevel, ContactRole, text};
use crate::error::{AppError, AppResult};

pub struct AgencyInput {
    pub name: String,
    pub short_name: Option<String>,
    pub aliases: Vec<String>,
    pub level: AgencyLevel,
    pub kind: AgencyKind,
    pub parent_id: Option<i64>,
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<agency::Model> {
    agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agency", id))
}

/// Agencies matching `search` (name or short name), in name order, bounded.
pub async fn list(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    kind: Option<AgencyKind>,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<agency::Model>> {
    let mut q = agency::Entity::find();
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(super::contains_text(agency::Column::Name, s))
                .add(super::contains_text(agency::Column::ShortName, s)),
        );
    }
    if let Some(k) = kind {
        q = q.filter(agency::Column::Kind.eq(k.as_str()));
    }
    Ok(q.order_by_asc(agency::Column::Name)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?)
}

fn clean_aliases(aliases: &[String], name: &str) -> AppResult<Vec<String>> {
    if aliases.len() > 50 {
        return Err(AppError::invalid("at most 50 aliases"));
    }
    let mut out: Vec<String> = Vec::new();
    for a in aliases {
        let a = text::required("alias", a, text::SHORT)?;
        if a != name && !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

async fn check_parent(
    db: &impl ConnectionTrait,
    id: Option<i64>,
    parent: Option<i64>,
) -> AppResult<()> {
    let Some(mut p) = parent else { return Ok(()) };
    // Walk up the chain: the parent must exist and the chain must not come back to `id`.
    for _ in 0..64 {
        if Some(p) == id {
            return Err(AppError::invalid("an agency cannot be its own ancestor"));
        }
        match get(db, p).await?.parent_id {
            Some(next) => p = next,
            None => return Ok(()),
        }
    }
    Err(AppError::invalid("agency hierarchy is too deep"))
}

pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    input: AgencyInput,
    confirmed: bool,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    if let Some(v) = viewer {
        v.require_office()?;
    }
    let name = text::required("name", &input.name, text::SHORT)?;
    let aliases = clean_aliases(&input.aliases, &name)?;
    check_parent(db, None, input.parent_id).await?;
    let model = agency::ActiveModel {
        name: Set(name),
        short_name: Set(text::optional(
            "shortName",
            input.short_name.as_deref(),
            text::SHORT,
        )?),
        aliases: Set(serde_json::json!(aliases)),
        level: Set(input.level.as_str().into()),
        kind: Set(input.kind.as_str().into()),
        parent_id: Set(input.parent_id),
        confirmed: Set(confirmed),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        viewer,
        Change::created("agency.create", "agency", model.id, &model),
        now,
    )
    .await?;
    Ok(model)
}

/// An agency met by the importer and not in the registry: created unconfirmed, audited
/// under the importing user (the office), for the office to confirm or merge later.
pub async fn create_unconfirmed(
    db: &impl ConnectionTrait,
    importer: Option<&Viewer>,
    input: AgencyInput,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    create(db, importer, input, false, now).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    input: AgencyInput,
    confirmed: Option<bool>,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    viewer.require_office()?;
    let before = get(db, id).await?;
    let name = text::required("name", &input.name, text::SHORT)?;
    let aliases = clean_aliases(&input.aliases, &name)?;
    check_parent(db, Some(id), input.parent_id).await?;
    let mut am: agency::ActiveModel = before.clone().into();
    am.name = Set(name);
    am.short_name = Set(text::optional(
        "shortName",
        input.short_name.as_deref(),
        text::SHORT,
    )?);
    am.aliases = Set(serde_json::json!(aliases));
    am.level = Set(input.level.as_str().into());
    am.kind = Set(input.kind.as_str().into());
    am.parent_id = Set(input.parent_id);
    if let Some(c) = confirmed {
        am.confirmed = Set(c);
    }
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    audit::record(
        db,
        Some(viewer),
        Change::updated("agency.update", "agency", id, &before, &after),
        now,
    )
    .await?;
    Ok(after)
}

/// Merges `source` into `target`: every assignment, contact, user, report and extension
/// request moves over, the source's names become aliases of the target, and the source is
/// deleted. Assignments the target already holds in the same role are not duplicated.
pub async fn merge(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    source_id: i64,
    target_id: i64,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    viewer.require_office()?;
    if source_id == target_id {
        return Err(AppError::invalid("cannot merge an agency into itself"));
    }
    let source = get(db, source_id).await?;
    let target = get(db, target_id).await?;
    // The source's children move under the target. A target that is the source's own child
    // takes the source's place; one further down its subtree would end up inside a loop
    // (its ancestor, the source's child, moved under it), so that is refused.
    let mut up = target.parent_id.filter(|p| *p != source_id);
    for _ in 0..64 {
        let Some(p) = up else { break };
        if p == source_id {
            return Err(AppError::invalid(
                "the target lies inside the source's sub-agencies; move it out first",
            ));
        }
        up = get(db, p).await?.parent_id;
    }

    // Drop the source's assignments that would duplicate one of the target's.
    let target_pairs: Vec<(i64, String)> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::TaskId)
        .column(assignment::Column::Role)
        .filter(assignment::Column::AgencyId.eq(target_id))
        .into_tuple()
        .all(db)
        .await?;
    let source_assignments = assignment::Entity::find()
        .filter(assignment::Column::AgencyId.eq(source_id))
        .all(db)
        .await?;
    let dupes: Vec<i64> = source_assignments
        .iter()
        .filter(|a| {
            target_pairs
                .iter()
                .any(|(t, r)| *t == a.task_id && *r == a.role)
        })
        .map(|a| a.id)
        .collect();
    // Kept for the audit event: the duplicates disappear, the rest move.
    let dropped: Vec<&assignment::Model> = source_assignments
        .iter()
        .filter(|a| dupes.contains(&a.id))
        .collect();
    let dropped_json = snapshot(&dropped);
    if !dupes.is_empty() {
        assignment::Entity::delete_many()
            .filter(assignment::Column::Id.is_in(dupes))
            .exec(db)
            .await?;
    }
    assignment::Entity::update_many()
        .col_expr(assignment::Column::AgencyId, Expr::value(target_id))
        .filter(assignment::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    contact::Entity::update_many()
        .col_expr(contact::Column::AgencyId, Expr::value(target_id))
        .filter(contact::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    user::Entity::update_many()
        .col_expr(user::Column::AgencyId, Expr::value(Some(target_id)))
        .filter(user::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    progress_report::Entity::update_many()
        .col_expr(progress_report::Column::AgencyId, Expr::value(target_id))
        .filter(progress_report::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    extension_request::Entity::update_many()
        .col_expr(extension_request::Column::AgencyId, Expr::value(target_id))
        .filter(extension_request::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    // The source's children move under the target; the target itself, if it was one of them,
    // takes the source's parent instead (never itself).
    agency::Entity::update_many()
        .col_expr(agency::Column::ParentId, Expr::value(Some(target_id)))
        .filter(agency::Column::ParentId.eq(source_id))
        .filter(agency::Column::Id.ne(target_id))
        .exec(db)
        .await?;

    let mut aliases: Vec<String> =
        serde_json::from_value(target.aliases.clone()).unwrap_or_default();
    let source_aliases: Vec<String> =
        serde_json::from_value(source.aliases.clone()).unwrap_or_default();
    for a in std::iter::once(source.name.clone())
        .chain(source.short_name.clone())
        .chain(source_aliases)
    {
        if a != target.name && !aliases.contains(&a) {
            aliases.push(a);
        }
    }
    // Evaluation rows follow the agency (refused if it has published results).
    super::evaluation::reassign_agency(db, source_id, target_id).await?;
    agency::Entity::delete_by_id(source_id).exec(db).await?;
    let mut am: agency::ActiveModel = target.clone().into();
    am.aliases = Set(serde_json::json!(aliases));
    if target.parent_id == Some(source_id) {
        am.parent_id = Set(source.parent_id.filter(|p| *p != target_id));
    }
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    audit::record(
        db,
        Some(viewer),
        Change {
            action: "agency.merge",
            entity: "agency",
            entity_id: target_id,
            before: Some(serde_json::json!({
                "source": snapshot(&source),
                "target": snapshot(&target),
                "dropped_duplicate_assignments": dropped_json,
            })),
            after: Some(snapshot(&after)),
        },
        now,
    )
    .await?;
    Ok(after)
}

pub struct ContactInput {
    pub name: String,
    pub email: String,
    pub role: ContactRole,
    pub phone: Option<String>,
}

/// The office manages every agency's contacts; agency staff manage their own agency's.
fn can_manage_contacts(viewer: &Viewer, agency_id: i64) -> AppResult<()> {
    if viewer.require_office().is_ok() || viewer.require_agency_staff().ok() == Some(agency_id) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "only the office or the agency's own staff may change its contacts",
        ))
    }
}

pub async fn add_contact(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    agency_id: i64,
    input: ContactInput,
    now: DateTime<Utc>,
) -> AppResult<contact::Model> {
    if let Some(v) = viewer {
        can_manage_contacts(v, agency_id)?;
    }
    get(db, agency_id).await?;
    if contact::Entity::find()
        .filter(contact::Column::AgencyId.eq(agency_id))
        .count(db)
        .await?
        >= 100
    {
        return Err(AppError::invalid("an agency has at most 100 contacts"));
    }
    let model = contact::ActiveModel {
        agency_id: Set(agency_id),
        name: Set(text::required("name", &input.name, text::SHORT)?),
        email: Set(text::email("email", &input.email)?),
        role: Set(input.role.as_str().into()),
        phone: Set(text::optional("phone", input.phone.as_deref(), 50)?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        viewer,
        Change::created("contact.create", "contact", model.id, &model),
        now,
    )
    .await?;
    Ok(model)
}

pub async fn update_contact(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    input: ContactInput,
    now: DateTime<Utc>,
) -> AppResult<contact::Model> {
    let before = contact::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("contact", id))?;
    can_manage_contacts(viewer, before.agency_id)?;
    let mut am: contact::ActiveModel = before.clone().into();
    am.name = Set(text::required("name", &input.name, text::SHORT)?);
    am.email = Set(text::email("email", &input.email)?);
    am.role = Set(input.role.as_str().into());
    am.phone = Set(text::optional("phone", input.phone.as_deref(), 50)?);
    let after = am.update(db).await?;
    audit::record(
        db,
        Some(viewer),
        Change::updated("contact.update", "contact", id, &before, &after),
        now,
    )
    .await?;
    Ok(after)
}

pub async fn remove_contact(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<contact::Model> {
    let before = contact::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("contact", id))?;
    can_manage_contacts(viewer, before.agency_id)?;
    contact::Entity::delete_by_id(id).exec(db).await?;
    audit::record(
        db,
        Some(viewer),
        Change::deleted("contact.delete", "contact", id, &before),
        now,
    )
    .await?;
    Ok(before)
}

/// Finds an agency by canonical name or alias (exact match).
pub async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> AppResult<Option<agency::Model>> {
    if let Some(a) = agency::Entity::find()
        .filter(agency::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(Some(a));
    }
    // Aliases live in a JSON array whose SQL operators differ between SQLite and PostgreSQL;
    // this lookup is rare (CLI, seeding), so scan the registry.
    let all = agency::Entity::find().all(db).await?;
    Ok(all.into_iter().find(|a| {
        a.aliases
            .as_array()
            .is_some_and(|xs| xs.iter().any(|x| x.as_str() == Some(name)))
    }))
}
