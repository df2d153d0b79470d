//! Accounts: signing in, passwords, users.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

#[derive(InputObject)]
pub struct CreateUserInput {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: UserRole,
    pub agency_id: Option<ID>,
    pub password: String,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub display_name: Option<String>,
    /// An empty string clears the address.
    pub email: Option<String>,
    pub role: Option<UserRole>,
    pub agency_id: Option<ID>,
    /// Set true to detach the user from any agency.
    #[graphql(default)]
    pub clear_agency: bool,
    pub disabled: Option<bool>,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Exchanges credentials for a token. The same error for an unknown user and a wrong
    /// password; repeated failures are throttled.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<LoginPayload> {
        CredentialBudget::spend(ctx)?;
        let client = ClientAddr::of(ctx);
        let st = state(ctx);
        let (token, exp, user) = services::users::login(
            &st.db.conn,
            &st.keys,
            &st.throttle,
            client,
            &username,
            &password,
            // Tokens live in wall-clock time, not the injectable business clock.
            st.clock.wall(),
        )
        .await?;
        // Sign-ins are part of the trail (who, when, from where); failures are not written,
        // so a guesser cannot turn the throttle's budget into database writes.
        let session = services::users::viewer_of(&user)?;
        mutate!(ctx, |tx, now| services::users::record_login(
            tx, &session, client, now
        ))?;
        Ok(LoginPayload {
            token,
            expires_at: chrono::DateTime::from_timestamp(exp, 0).unwrap_or_default(),
            user: User(user),
        })
    }

    /// Changes a password: your own with the current one, or anyone's as the office.
    async fn set_password(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        current_password: Option<String>,
        new_password: String,
    ) -> Result<bool> {
        let v = viewer(ctx)?;
        let id = parse_id("user", &user_id)?;
        // A current password is a credential check: one per request, throttled like login.
        if v.require_office().is_err() {
            CredentialBudget::spend(ctx)?;
        }
        let check = services::users::CurrentPasswordCheck {
            throttle: &state(ctx).throttle,
            client: ClientAddr::of(ctx),
        };
        // Checked and hashed before the write transaction: argon2 must not hold the lock.
        let change = services::users::prepare_password_change(
            &state(ctx).db.conn,
            v,
            check,
            id,
            current_password.as_deref(),
            &new_password,
        )
        .await?;
        mutate!(ctx, |tx, now| services::users::apply_password_change(
            tx, v, change, now
        ))?;
        // Tokens issued before the change stop working at once in this process.
        state(ctx).viewers.forget(id);
        Ok(true)
    }

    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let agency_id = input
            .agency_id
            .map(|a| parse_id("agency", &a))
            .transpose()?;
        let data = services::users::UserInput {
            username: input.username,
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            agency_id,
        };
        // Hashed before the write transaction: argon2 must not hold the lock.
        let hash = crate::auth::password::hash_off_thread(&input.password).await?;
        mutate!(ctx, |tx, now| services::users::create_hashed(
            tx,
            Actor::User(v),
            data,
            hash,
            now
        ))
        .map(User)
    }

    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> Result<User> {
        let v = viewer(ctx)?;
        let id = parse_id("user", &id)?;
        let agency_id = match (input.clear_agency, input.agency_id) {
            (true, Some(_)) => {
                return Err(AppError::invalid("give agencyId or clearAgency, not both").into());
            }
            (true, None) => Some(None),
            (false, Some(a)) => Some(Some(parse_id("agency", &a)?)),
            (false, None) => None,
        };
        let data = services::users::UserUpdate {
            display_name: input.display_name,
            email: input.email,
            role: input.role,
            agency_id,
            disabled: input.disabled,
        };
        let user = mutate!(ctx, |tx, now| services::users::update(tx, v, id, data, now))?;
        // Role, agency or disabled may have changed: the next request must see it.
        state(ctx).viewers.forget(id);
        Ok(User(user))
    }
}
