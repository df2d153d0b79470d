//! User accounts and login.

use std::time::Instant;

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::agencies;
use super::audit;
use super::record;
use crate::auth::Actor;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{TokenKeys, Viewer, password};
use crate::domain::AuditAction;
use crate::domain::{UserRole, text};
use crate::error::{AppError, AppResult};

pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: UserRole,
    pub agency_id: Option<i64>,
}

/// # Errors
/// NOT_FOUND when there is no such user; INTERNAL on database errors.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<user::Model> {
    record::find::<user::Entity>(db, id).await
}

/// # Errors
/// FORBIDDEN for anyone but the office; INTERNAL on database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<user::Model>> {
    viewer.require_office()?;
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Username)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?)
}

/// The viewer behind a verified token; disabled or deleted users are UNAUTHENTICATED.
///
/// # Errors
/// NOT_FOUND for a missing user (or a record it names); INTERNAL on database errors.
pub async fn viewer_for(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Viewer> {
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if u.disabled {
        return Err(AppError::Unauthenticated);
    }
    viewer_of(&u)
}

/// The viewer a user row stands for (whether or not it is disabled).
///
/// # Errors
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub fn viewer_of(u: &user::Model) -> AppResult<Viewer> {
    Ok(Viewer {
        user_id: u.id,
        username: u.username.clone(),
        role: UserRole::parse(&u.role)?,
        agency_id: u.agency_id,
        token_generation: u.token_generation,
    })
}

/// Agency staff must belong to an agency; other roles may name one (a leader's own agency).
async fn check_role_agency(
    db: &impl ConnectionTrait,
    role: UserRole,
    agency_id: Option<i64>,
) -> AppResult<()> {
    if role == UserRole::Agency && agency_id.is_none() {
        return Err(AppError::invalid("agency staff must belong to an agency"));
    }
    if let Some(a) = agency_id {
        agencies::get(db, a).await?;
    }
    Ok(())
}

fn check_username(name: &str) -> AppResult<String> {
    let name = text::required("username", name, 64)?;
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(AppError::invalid(
            "username may contain letters, digits and . _ - @ only",
        ));
    }
    Ok(name)
}

/// Creates an account. `Actor::System` is the CLI or the seeder (trusted, audited as system).
///
/// # Errors
/// FORBIDDEN for anyone but the office; INTERNAL on database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: UserInput,
    password_plain: &str,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    let hash = password::hash_off_thread(password_plain).await?;
    create_hashed(db, viewer, input, hash, now).await
}

/// Like [`create`] with a ready argon2 hash (the seeder hashes a shared demo password once).
///
/// # Errors
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn create_hashed(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: UserInput,
    password_hash: String,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    let username = check_username(&input.username)?;
    check_role_agency(db, input.role, input.agency_id).await?;
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Some(text::email("email", e)?),
        None => None,
    };
    let row = user::ActiveModel {
        username: Set(username),
        display_name: Set(text::required(
            "displayName",
            &input.display_name,
            text::SHORT,
        )?),
        email: Set(email),
        password_hash: Set(password_hash),
        role: Set(input.role.as_str().into()),
        agency_id: Set(input.agency_id),
        disabled: Set(false),
        created_at: Set(now),
        token_generation: Set(0),
        ..Default::default()
    };
    record::insert(db, viewer, AuditAction::UserCreate, row, now).await
}

pub struct UserUpdate {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Option<UserRole>,
    pub agency_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing user (or a record it names);
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    input: UserUpdate,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    viewer.require_office()?;
    let before = get(db, id).await?;
    if id == viewer.user_id
        && (input.disabled == Some(true) || input.role.is_some_and(|r| r != UserRole::Office))
    {
        return Err(AppError::invalid(
            "the office cannot disable or demote its own account",
        ));
    }
    let role = input.role.unwrap_or(UserRole::parse(&before.role)?);
    let agency_id = input.agency_id.unwrap_or(before.agency_id);
    check_role_agency(db, role, agency_id).await?;
    let mut am: user::ActiveModel = before.clone().into();
    if let Some(d) = &input.display_name {
        am.display_name = Set(text::required("displayName", d, text::SHORT)?);
    }
    if let Some(e) = &input.email {
        am.email = Set(if e.trim().is_empty() {
            None
        } else {
            Some(text::email("email", e)?)
        });
    }
    am.role = Set(role.as_str().into());
    am.agency_id = Set(agency_id);
    if let Some(d) = input.disabled {
        am.disabled = Set(d);
    }
    record::update(
        db,
        Actor::User(viewer),
        AuditAction::UserUpdate,
        &before,
        am,
        now,
    )
    .await
}

/// Records a sign-in in the audit trail (who, when, from where).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn record_login(
    db: &impl ConnectionTrait,
    session: &Viewer,
    client: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    audit::record(
        db,
        Actor::User(session),
        audit::Change {
            action: AuditAction::UserLogin,
            entity: "user",
            entity_id: session.user_id,
            before: None,
            after: Some(serde_json::json!({ "client": client })),
        },
        now,
    )
    .await
}

/// Where a current-password check comes from, for the sign-in throttle it shares.
pub struct CurrentPasswordCheck<'a> {
    pub throttle: &'a LoginThrottle,
    pub client: &'a str,
}

/// A checked password change, ready to write: see [`prepare_password_change`].
pub struct PasswordChange {
    user_id: i64,
    old_hash: String,
    new_hash: String,
}

/// Users change their own password (knowing the current one); the office may reset anyone's.
///
/// The slow part (argon2, tens of milliseconds) happens here, outside any transaction, so a
/// change never holds the database's write lock while it hashes; [`apply_password_change`]
/// then writes it.
///
/// # Errors
/// FORBIDDEN for someone else's password (unless the office), a wrong current password or
/// one checked too often (throttled like sign-ins); INVALID_INPUT for a new password that is too short or too long.
pub async fn prepare_password_change(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    check: CurrentPasswordCheck<'_>,
    id: i64,
    current: Option<&str>,
    new_password: &str,
) -> AppResult<PasswordChange> {
    let before = get(db, id).await?;
    if viewer.require_office().is_err() {
        if viewer.user_id != id {
            return Err(AppError::forbidden("you may change only your own password"));
        }
        // The current password is a guess like a sign-in: it spends the same budget.
        check
            .throttle
            .begin_attempt(&before.username, check.client, Instant::now())
            .map_err(throttled)?;
        let matches = match current {
            Some(c) if c.len() <= 1024 => {
                password::verify_off_thread(c, before.password_hash.clone()).await
            }
            _ => false,
        };
        if !matches {
            check
                .throttle
                .record_failure(&before.username, check.client, Instant::now());
            return Err(AppError::forbidden("the current password is wrong"));
        }
        check
            .throttle
            .record_success(&before.username, check.client);
    }
    Ok(PasswordChange {
        user_id: id,
        old_hash: before.password_hash,
        new_hash: password::hash_off_thread(new_password).await?,
    })
}

/// Writes a prepared change, audited; every session signed in before it ends.
///
/// # Errors
/// CONFLICT when the password changed since the change was prepared.
pub async fn apply_password_change(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    change: PasswordChange,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let before = get(db, change.user_id).await?;
    if before.password_hash != change.old_hash {
        return Err(AppError::Conflict(
            "the password was changed meanwhile; try again".into(),
        ));
    }
    let mut am: user::ActiveModel = before.clone().into();
    am.password_hash = Set(change.new_hash);
    // A stolen token dies with the old password.
    am.token_generation = Set(before.token_generation.wrapping_add(1));
    let after = am.update(db).await?;
    record::audited_update::<user::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::UserSetPassword,
        &before,
        &after,
        now,
    )
    .await?;
    Ok(())
}

/// The refusal of a throttled credential check, saying how long to wait.
fn throttled(wait: std::time::Duration) -> AppError {
    AppError::forbidden(format!(
        "too many failed sign-ins; try again in {} s",
        wait.as_secs().max(1)
    ))
}

/// Checks credentials. Wrong password and unknown user give the same error (and take the
/// same time); repeated failures are slowed down per name and client address and per address
/// (see [`LoginThrottle`]), never locking the owner out for more than a minute.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn login(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    throttle: &LoginThrottle,
    client: &str,
    username: &str,
    password_plain: &str,
    now: DateTime<Utc>,
) -> AppResult<(String, i64, user::Model)> {
    let refused = || AppError::BadCredentials;
    if username.len() > 200 || password_plain.len() > 1024 {
        return Err(refused());
    }
    throttle
        .begin_attempt(username, client, Instant::now())
        .map_err(throttled)?;
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?;
    let hash = match &found {
        Some(u) => u.password_hash.clone(),
        None => password::dummy_hash().to_owned(),
    };
    let matches = password::verify_off_thread(password_plain, hash).await;
    let ok = matches && found.as_ref().is_some_and(|u| !u.disabled);
    match (ok, found) {
        (true, Some(u)) => {
            throttle.record_success(username, client);
            // `now` is the wall clock: jsonwebtoken checks exp against it.
            let (token, exp) = keys.issue(u.id, u.token_generation, now.timestamp())?;
            Ok((token, exp, u))
        }
        // The attempt was already counted by `begin_attempt`.
        _ => {
            throttle.record_failure(username, client, Instant::now());
            Err(refused())
        }
    }
}

/// Moves the source agency's users to the target (part of an agency merge).
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn move_agency(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(
            user::Column::AgencyId,
            sea_orm::sea_query::Expr::value(Some(target_id)),
        )
        .filter(user::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}
