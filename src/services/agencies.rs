//! Agencies (单位) and their contact people. Merging duplicates is `super::agency_merge`,
//! which calls this area's merge steps.

use chrono::{DateTime, Utc};
use entity::{agency, contact};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::record;
use crate::auth::{Actor, Viewer};
use crate::domain::AuditAction;
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

/// # Errors
/// NOT_FOUND when there is no such agency; INTERNAL on database errors.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<agency::Model> {
    record::find::<agency::Entity>(db, id).await
}

/// Agencies matching `search` (name or short name), in name order, bounded.
///
/// # Errors
/// INTERNAL on database errors.
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

/// # Errors
/// FORBIDDEN for anyone but the office; INVALID_INPUT for input that breaks a rule (lengths,
/// ranges, references); INTERNAL on database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: AgencyInput,
    confirmed: bool,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    let name = text::required("name", &input.name, text::SHORT)?;
    let aliases = clean_aliases(&input.aliases, &name)?;
    check_parent(db, None, input.parent_id).await?;
    let row = agency::ActiveModel {
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
    };
    record::insert(db, viewer, AuditAction::AgencyCreate, row, now).await
}

/// An agency met by the importer and not in the registry: created unconfirmed, audited
/// under the importing user (the office), for the office to confirm or merge later.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn create_unconfirmed(
    db: &impl ConnectionTrait,
    importer: Actor<'_>,
    input: AgencyInput,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    create(db, importer, input, false, now).await
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing agency (or a record it names);
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
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
    record::update(
        db,
        Actor::User(viewer),
        AuditAction::AgencyUpdate,
        &before,
        am,
        now,
    )
    .await
}

/// Checks that `source` may be merged into `target` (see [`super::agency_merge::merge`])
/// and returns both rows.
///
/// # Errors
/// NOT_FOUND for a missing agency; INVALID_INPUT for a merge into itself or into the
/// source's own subtree.
pub(super) async fn check_merge(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<(agency::Model, agency::Model)> {
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
    Ok((source, target))
}

/// Moves the source's contact people to the target (part of a merge).
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn move_contacts(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    contact::Entity::update_many()
        .col_expr(contact::Column::AgencyId, Expr::value(target_id))
        .filter(contact::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the source's children under the target (part of a merge); the target itself, if it
/// was one of them, takes the source's parent in [`absorb`] instead (never itself).
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn move_children(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    agency::Entity::update_many()
        .col_expr(agency::Column::ParentId, Expr::value(Some(target_id)))
        .filter(agency::Column::ParentId.eq(source_id))
        .filter(agency::Column::Id.ne(target_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes `source` once everything has moved, and gives the target the source's names as
/// aliases (and the source's parent, if the target was its child). Returns the target.
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn absorb(
    db: &impl ConnectionTrait,
    source: &agency::Model,
    target: &agency::Model,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
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
    agency::Entity::delete_by_id(source.id).exec(db).await?;
    let mut am: agency::ActiveModel = target.clone().into();
    am.aliases = Set(serde_json::json!(aliases));
    if target.parent_id == Some(source.id) {
        am.parent_id = Set(source.parent_id.filter(|p| *p != target.id));
    }
    am.updated_at = Set(now);
    Ok(am.update(db).await?)
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

/// # Errors
/// FORBIDDEN unless the office or staff of the contact's agency; NOT_FOUND for a missing agency
/// (or a record it names); INVALID_INPUT for input that breaks a rule (lengths, ranges,
/// references); INTERNAL on database errors.
pub async fn add_contact(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    agency_id: i64,
    input: ContactInput,
    now: DateTime<Utc>,
) -> AppResult<contact::Model> {
    if let Actor::User(v) = viewer {
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
    let row = contact::ActiveModel {
        agency_id: Set(agency_id),
        name: Set(text::required("name", &input.name, text::SHORT)?),
        email: Set(text::email("email", &input.email)?),
        role: Set(input.role.as_str().into()),
        phone: Set(text::optional("phone", input.phone.as_deref(), 50)?),
        created_at: Set(now),
        ..Default::default()
    };
    record::insert(db, viewer, AuditAction::ContactCreate, row, now).await
}

/// # Errors
/// FORBIDDEN unless the office or staff of the contact's agency; NOT_FOUND for a missing agency
/// (or a record it names); INVALID_INPUT for input that breaks a rule (lengths, ranges,
/// references); INTERNAL on database errors.
pub async fn update_contact(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    input: ContactInput,
    now: DateTime<Utc>,
) -> AppResult<contact::Model> {
    let before = record::find::<contact::Entity>(db, id).await?;
    can_manage_contacts(viewer, before.agency_id)?;
    let mut am: contact::ActiveModel = before.clone().into();
    am.name = Set(text::required("name", &input.name, text::SHORT)?);
    am.email = Set(text::email("email", &input.email)?);
    am.role = Set(input.role.as_str().into());
    am.phone = Set(text::optional("phone", input.phone.as_deref(), 50)?);
    record::update(
        db,
        Actor::User(viewer),
        AuditAction::ContactUpdate,
        &before,
        am,
        now,
    )
    .await
}

/// # Errors
/// FORBIDDEN unless the office or staff of the contact's agency; NOT_FOUND for a missing agency
/// (or a record it names); CONFLICT while other records still refer to it; INTERNAL on database
/// errors.
pub async fn remove_contact(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<contact::Model> {
    let before = record::find::<contact::Entity>(db, id).await?;
    can_manage_contacts(viewer, before.agency_id)?;
    record::delete::<contact::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::ContactDelete,
        before,
        now,
    )
    .await
}

/// Finds an agency by canonical name or alias (exact match).
///
/// # Errors
/// INTERNAL on database errors.
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
