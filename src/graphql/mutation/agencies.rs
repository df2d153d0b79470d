//! Agencies and their contacts, and merging duplicates.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

#[derive(InputObject)]
pub struct AgencyInput {
    pub name: String,
    pub short_name: Option<String>,
    #[graphql(default)]
    pub aliases: Vec<String>,
    pub level: AgencyLevel,
    pub kind: AgencyKind,
    pub parent_id: Option<ID>,
}

impl AgencyInput {
    fn parse(self) -> AppResult<services::agencies::AgencyInput> {
        Ok(services::agencies::AgencyInput {
            name: self.name,
            short_name: self.short_name,
            aliases: self.aliases,
            level: self.level,
            kind: self.kind,
            parent_id: self.parent_id.map(|p| parse_id("agency", &p)).transpose()?,
        })
    }
}

#[derive(InputObject)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    pub role: ContactRole,
    pub phone: Option<String>,
}

impl From<ContactInput> for services::agencies::ContactInput {
    fn from(c: ContactInput) -> Self {
        services::agencies::ContactInput {
            name: c.name,
            email: c.email,
            role: c.role,
            phone: c.phone,
        }
    }
}

#[derive(Default)]
pub struct AgencyMutation;

#[Object]
impl AgencyMutation {
    async fn create_agency(&self, ctx: &Context<'_>, input: AgencyInput) -> Result<Agency> {
        let v = viewer(ctx)?;
        v.require_office()?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::agencies::create(
            tx,
            Actor::User(v),
            input,
            true,
            now
        ))
        .map(Agency::from)
    }

    /// Replaces an agency's fields; `confirmed` confirms a name the importer met.
    async fn update_agency(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AgencyInput,
        confirmed: Option<bool>,
    ) -> Result<Agency> {
        let v = viewer(ctx)?;
        let id = parse_id("agency", &id)?;
        let input = input.parse()?;
        mutate!(ctx, |tx, now| services::agencies::update(
            tx, v, id, input, confirmed, now
        ))
        .map(Agency::from)
    }

    /// Merges `sourceId` into `targetId` (assignments, contacts, users, reports move over;
    /// the source's names become aliases; the source is deleted).
    async fn merge_agencies(
        &self,
        ctx: &Context<'_>,
        source_id: ID,
        target_id: ID,
    ) -> Result<Agency> {
        let v = viewer(ctx)?;
        let (s, t) = (
            parse_id("agency", &source_id)?,
            parse_id("agency", &target_id)?,
        );
        let merged = mutate!(ctx, |tx, now| services::agency_merge::merge(
            tx, v, s, t, now
        ))?;
        // The source's staff now belong to the target.
        state(ctx).viewers.clear();
        Ok(Agency::from(merged))
    }

    async fn add_contact(
        &self,
        ctx: &Context<'_>,
        agency_id: ID,
        input: ContactInput,
    ) -> Result<Contact> {
        let v = viewer(ctx)?;
        let a = parse_id("agency", &agency_id)?;
        mutate!(ctx, |tx, now| services::agencies::add_contact(
            tx,
            Actor::User(v),
            a,
            input.into(),
            now
        ))
        .map(Contact)
    }

    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ContactInput,
    ) -> Result<Contact> {
        let v = viewer(ctx)?;
        let id = parse_id("contact", &id)?;
        mutate!(ctx, |tx, now| services::agencies::update_contact(
            tx,
            v,
            id,
            input.into(),
            now
        ))
        .map(Contact)
    }

    async fn remove_contact(&self, ctx: &Context<'_>, id: ID) -> Result<Contact> {
        let v = viewer(ctx)?;
        let id = parse_id("contact", &id)?;
        mutate!(ctx, |tx, now| services::agencies::remove_contact(
            tx, v, id, now
        ))
        .map(Contact)
    }
}
