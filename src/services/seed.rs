//! Demo and reference data: the agency registry and the shipped evaluation schemes, the
//! five source plans (through the importer), contacts with example addresses, and demo
//! accounts for each role.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use entity::{agency, assignment, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::agencies::{self, AgencyInput, ContactInput};
use super::users::{self, UserInput};
use crate::auth::Actor;
use crate::domain::{AgencyKind, AgencyLevel, AssignmentRole, ContactRole, UserRole};
use crate::error::{AppError, AppResult};

/// Demo credentials, shown in the README.
pub const DEMO_PASSWORD_OFFICE: &str = "office-demo";
pub const DEMO_PASSWORD_LEADER: &str = "leader-demo";
pub const DEMO_PASSWORD_AGENCY: &str = "agency-demo";

/// Where `seeds/` is: `DUBAN_SEEDS_DIR`, else `./seeds`, else the source tree's.
pub fn seeds_dir() -> PathBuf {
    if let Ok(d) = std::env::var("DUBAN_SEEDS_DIR") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("seeds");
    if local.join("agencies.json").exists() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// Whether the database holds no users yet (a first run).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn is_empty(db: &impl ConnectionTrait) -> AppResult<bool> {
    Ok(user::Entity::find().count(db).await? == 0)
}

/// Loads the agency registry (`seeds/agencies.json`), skipping names already present, and
/// the shipped evaluation schemes if absent. Returns the number of agencies created.
///
/// # Errors
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn load_registry(
    db: &impl ConnectionTrait,
    dir: &Path,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let path = dir.join("agencies.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| AppError::invalid(format!("cannot read {}: {e}", path.display())))?;
    let entries: Vec<duban_import::RegistryEntry> = serde_json::from_str(&text).map_err(|e| {
        AppError::invalid(format!("{} is not a valid registry: {e}", path.display()))
    })?;
    let mut created = 0;
    for e in &entries {
        if agencies::find_by_name(db, &e.name).await?.is_some() {
            continue;
        }
        let input = AgencyInput {
            name: e.name.clone(),
            short_name: e.short_name.clone(),
            aliases: e.aliases.clone(),
            level: AgencyLevel::parse(&e.level).unwrap_or(AgencyLevel::Other),
            kind: AgencyKind::parse(&e.kind).unwrap_or(AgencyKind::Other),
            parent_id: None,
        };
        agencies::create(db, Actor::System, input, true, now).await?;
        created += 1;
    }
    // Parents in a second pass: the file need not list parents before children.
    for e in entries.iter().filter(|e| e.parent.is_some()) {
        if let (Some(child), Some(parent)) = (
            agencies::find_by_name(db, &e.name).await?,
            agencies::find_by_name(db, e.parent.as_deref().unwrap_or_default()).await?,
        ) && child.parent_id.is_none()
            && child.id != parent.id
        {
            agency::Entity::update_many()
                .col_expr(
                    agency::Column::ParentId,
                    sea_orm::sea_query::Expr::value(Some(parent.id)),
                )
                .filter(agency::Column::Id.eq(child.id))
                .exec(db)
                .await?;
        }
    }
    // The shipped evaluation schemes (seeds/schemes/), whose data sources name registry
    // agencies: so that `evaluationSchemes` lists them on a freshly seeded server.
    super::evaluation::ensure_seed_schemes(db, now).await?;
    Ok(created)
}

/// Imports every plan in `seeds/plans/` through the importer, skipping documents already
/// imported. Returns the number of plans written.
///
/// # Errors
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn load_plans(
    db: &impl ConnectionTrait,
    dir: &Path,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let plans_dir = dir.join("plans");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&plans_dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => {
            return Err(AppError::invalid(format!(
                "cannot read {}: {e}",
                plans_dir.display()
            )));
        }
    };
    files.sort();
    let registry = super::import::registry(db).await?;
    let mut written = 0;
    for path in files {
        let bytes = std::fs::read(&path)
            .map_err(|e| AppError::invalid(format!("cannot read {}: {e}", path.display())))?;
        let parsed = super::import::parse(&bytes, &registry, &Default::default())?;
        if super::import::duplicate_of(db, &parsed).await?.is_some() {
            continue;
        }
        let summary = super::import::store(db, Actor::System, &parsed, now).await?;
        tracing::info!(plan = %summary.plan.title, tasks = summary.tasks, assignments = summary.assignments, "seeded plan from {}", path.display());
        written += 1;
    }
    Ok(written)
}

/// Gives every agency that has tasks a liaison, a head and a deputy in charge with example
/// addresses, and a demo staff account `staff<agency id>`; creates `office` and `leader`.
///
/// # Errors
/// NOT_FOUND for a missing record (or a record it names); INTERNAL on database errors.
pub async fn demo_people(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
    let with_tasks: Vec<i64> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::AgencyId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let lead_agencies: Vec<i64> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::AgencyId)
        .filter(assignment::Column::Role.eq(AssignmentRole::Lead.as_str()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for &agency_id in &with_tasks {
        let a = agencies::get(db, agency_id).await?;
        // A generic group (各有关部门, 各县区政府) is not one office: nobody answers its mail.
        if a.kind == crate::domain::AgencyKind::Group.as_str() {
            continue;
        }
        if entity::contact::Entity::find()
            .filter(entity::contact::Column::AgencyId.eq(agency_id))
            .count(db)
            .await?
            > 0
        {
            continue;
        }
        for (role, label) in [
            (ContactRole::Liaison, "联络员"),
            (ContactRole::Head, "主要负责人"),
            (ContactRole::Deputy, "分管负责人"),
        ] {
            let input = ContactInput {
                name: format!(
                    "{}{}",
                    a.short_name.clone().unwrap_or_else(|| a.name.clone()),
                    label
                ),
                email: format!("{}.a{}@example.gov.cn", role.as_str(), agency_id),
                role,
                phone: None,
            };
            agencies::add_contact(db, Actor::System, agency_id, input, now).await?;
        }
    }
    let mut accounts = vec![
        (
            "office".to_owned(),
            "领导小组办公室".to_owned(),
            UserRole::Office,
            None,
            DEMO_PASSWORD_OFFICE,
        ),
        (
            "leader".to_owned(),
            "分管领导".to_owned(),
            UserRole::Leader,
            None,
            DEMO_PASSWORD_LEADER,
        ),
    ];
    for &agency_id in &lead_agencies {
        let a = agencies::get(db, agency_id).await?;
        // Nobody signs in as a generic group; its member agencies have their own accounts.
        if a.kind == crate::domain::AgencyKind::Group.as_str() {
            continue;
        }
        accounts.push((
            format!("staff{agency_id}"),
            format!("{}工作人员", a.name),
            UserRole::Agency,
            Some(agency_id),
            DEMO_PASSWORD_AGENCY,
        ));
    }
    // argon2 is deliberately slow: hash each demo password once, not once per account.
    let mut hashes: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for (username, display_name, role, agency_id, password) in accounts {
        if user::Entity::find()
            .filter(user::Column::Username.eq(&username))
            .count(db)
            .await?
            > 0
        {
            continue;
        }
        let hash = match hashes.get(password) {
            Some(h) => h.clone(),
            None => {
                let h = crate::auth::password::hash(password)?;
                hashes.insert(password, h.clone());
                h
            }
        };
        users::create_hashed(
            db,
            Actor::System,
            UserInput {
                username,
                display_name,
                // Demo addresses, so 督办 copies and 通报 reach someone.
                email: match role {
                    UserRole::Office => Some("office@example.gov.cn".into()),
                    UserRole::Leader => Some("leader@example.gov.cn".into()),
                    _ => None,
                },
                role,
                agency_id,
            },
            hash,
            now,
        )
        .await?;
    }
    Ok(())
}
