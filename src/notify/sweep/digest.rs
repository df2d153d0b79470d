//! The digests of a sweep: one mail per recipient listing every rung this sweep recorded for
//! them. Rungs are recorded one batch at a time, but a recipient's digest spans every batch;
//! so each recorded rung leaves one *line* per recipient (which record, in which role, about
//! which date) in a temporary table of the sweep's own transaction, and the digests are
//! assembled from those lines and the stored records once every batch is recorded, a few
//! recipients at a time. What the sweep holds is then one batch of rungs, or one group of
//! recipients' digests, plus one entry per distinct recipient (which grows with the contacts
//! on file, not with the tasks or what is due).
//!
//! The table lives and dies with the transaction (PostgreSQL `ON COMMIT DROP`; on SQLite,
//! whose temporary tables belong to the connection, it is dropped before the commit and a
//! rollback undoes its creation), so an interrupted sweep leaves nothing behind and the
//! exactly-once guarantee of [`super`] is untouched.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::notify::templates;
use sea_orm::DatabaseBackend;

/// The temporary table of digest lines.
const TABLE: &str = "sweep_digest_line";
/// The temporary table of the recipients' address order (filled at the end).
const RANKS: &str = "sweep_digest_rank";
/// Digest lines per multi-row INSERT (7 values each).
const LINES_PER_INSERT: usize = 1_000;
/// Digest lines read back per statement (a page of the cursor on PostgreSQL; on SQLite,
/// recipients are grouped until their lines reach this, and a single recipient with more
/// is read alone: a digest is rendered whole).
const LINES_PER_READ: usize = 20_000;
/// Digest mails per multi-row INSERT (a mail body is some kilobytes).
const MAILS_PER_INSERT: usize = CHUNK / 4;

/// A distinct recipient of the sweep (by lower-cased address).
struct Slot {
    /// Numbers the recipient's Message-ID and its digest lines, in order of first appearance.
    no: i32,
    /// How the recipient is addressed: as described by the first rung that names them.
    recipient: Recipient,
    /// Digest lines staged for the recipient.
    lines: usize,
}

/// The digests of one sweep, staged batch by batch and enqueued at the end.
pub(super) struct Digests {
    sweep_id: String,
    recipients: HashMap<String, Slot>,
    staged: bool,
    /// Position of the last staged rung: the order of the items in a digest.
    seq: i64,
}

impl Digests {
    pub(super) fn new(sweep_id: &str) -> Self {
        Digests {
            sweep_id: sweep_id.to_owned(),
            recipients: HashMap::new(),
            staged: false,
            seq: 0,
        }
    }

    pub(super) fn sweep_id(&self) -> &str {
        &self.sweep_id
    }

    /// The Message-ID of the digest `r` will receive from this sweep (one per recipient,
    /// numbered in order of first appearance).
    pub(super) fn message_id(&mut self, r: &Recipient) -> String {
        let next = i32::try_from(self.recipients.len()).unwrap_or(i32::MAX);
        let slot = self
            .recipients
            .entry(r.email.to_lowercase())
            .or_insert_with(|| Slot {
                no: next,
                recipient: r.clone(),
                lines: 0,
            });
        format!("{}.{}@duban", self.sweep_id, slot.no)
    }

    /// Creates the table of digest lines (once per sweep).
    pub(super) async fn stage(&mut self, tx: &impl ConnectionTrait) -> AppResult<()> {
        if self.staged {
            return Ok(());
        }
        let backend = tx.get_database_backend();
        let (schema, on_commit) = match backend {
            DatabaseBackend::Postgres => ("pg_temp", " ON COMMIT DROP"),
            _ => ("temp", ""),
        };
        for text in [
            format!("DROP TABLE IF EXISTS {schema}.{TABLE}"),
            format!("DROP TABLE IF EXISTS {schema}.{RANKS}"),
            format!(
                "CREATE TEMPORARY TABLE {TABLE} (recipient_no INTEGER NOT NULL, \
                 seq BIGINT NOT NULL, record_id BIGINT NOT NULL, role INTEGER NOT NULL, \
                 anchor DATE NOT NULL, period TEXT, documented BOOLEAN NOT NULL){on_commit}"
            ),
            format!(
                "CREATE TEMPORARY TABLE {RANKS} (recipient_no INTEGER NOT NULL, \
                 rank INTEGER NOT NULL){on_commit}"
            ),
        ] {
            tx.execute_raw(sql(backend, &text, vec![])).await?;
        }
        self.staged = true;
        Ok(())
    }

    /// Drops the table of digest lines, if any (before the commit: see the module docs).
    pub(super) async fn unstage(&mut self, tx: &impl ConnectionTrait) -> AppResult<()> {
        if !self.staged {
            return Ok(());
        }
        let backend = tx.get_database_backend();
        let schema = match backend {
            DatabaseBackend::Postgres => "pg_temp",
            _ => "temp",
        };
        for table in [TABLE, RANKS] {
            tx.execute_raw(sql(
                backend,
                &format!("DROP TABLE {schema}.{table}"),
                vec![],
            ))
            .await?;
        }
        self.staged = false;
        Ok(())
    }

    /// Stages the digest lines of the recorded rungs `planned` (in order; record ids in
    /// `ours`, the ids with a stored document in `documented`). [`Digests::stage`] first.
    pub(super) async fn add(
        &mut self,
        tx: &impl ConnectionTrait,
        planned: &[PlannedRung],
        ours: &HashMap<String, i64>,
        documented: &HashSet<i64>,
    ) -> AppResult<()> {
        let backend = tx.get_database_backend();
        let mut values: Vec<Value> = Vec::with_capacity(LINES_PER_INSERT * 7);
        let mut rows = 0;
        for p in planned {
            let Some(&record_id) = ours.get(&p.rung.dedupe_key) else {
                continue;
            };
            self.seq += 1;
            let period = match &p.matter {
                Matter::Report { period } => Some(period.clone()),
                Matter::Deadline | Matter::Verification => None,
            };
            for r in &p.recipients {
                // Every recipient of a recorded rung has a Message-ID (and so a slot).
                self.message_id(r);
                let Some(slot) = self.recipients.get_mut(&r.email.to_lowercase()) else {
                    continue;
                };
                slot.lines += 1;
                values.extend([
                    slot.no.into(),
                    self.seq.into(),
                    record_id.into(),
                    role_code(r.role).into(),
                    p.date.into(),
                    period.clone().into(),
                    documented.contains(&record_id).into(),
                ]);
                rows += 1;
                if rows == LINES_PER_INSERT {
                    insert_lines(tx, backend, rows, std::mem::take(&mut values)).await?;
                    rows = 0;
                }
            }
        }
        if rows > 0 {
            insert_lines(tx, backend, rows, values).await?;
        }
        Ok(())
    }

    /// Renders and enqueues one digest per recipient (in address order), with the notices
    /// of its records attached; returns the number of mails.
    ///
    /// The lines are read in address order with their records, tasks and plans: on
    /// PostgreSQL through one cursor over the whole sweep (hash joins and one sort on the
    /// server, fetched a page at a time; reading per group of recipients cost a lookup per
    /// line in each table, 29 s at a million tasks), on SQLite, which has no cursors and
    /// cheap lookups, per group of recipients.
    pub(super) async fn enqueue(
        &mut self,
        tx: &impl ConnectionTrait,
        today: NaiveDate,
        public_url: &str,
        state: DeliveryState,
        deliver_from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> AppResult<usize> {
        if !self.staged {
            return Ok(0);
        }
        let backend = tx.get_database_backend();
        let mut order: Vec<(&String, &Slot)> = self
            .recipients
            .iter()
            .filter(|(_, s)| s.lines > 0)
            .collect();
        order.sort_by(|a, b| a.0.cmp(b.0));
        // The recipients' address order, as a rank the lines can be sorted by.
        let ranks: Vec<(i32, i32)> = order
            .iter()
            .enumerate()
            .map(|(rank, (_, s))| (s.no, i32::try_from(rank).unwrap_or(i32::MAX)))
            .collect();
        for chunk in ranks.chunks(CHUNK) {
            let rows = vec!["(?, ?)"; chunk.len()].join(", ");
            tx.execute_raw(sql(
                backend,
                &format!("INSERT INTO {RANKS} (recipient_no, rank) VALUES {rows}"),
                chunk
                    .iter()
                    .flat_map(|&(no, rank)| [no.into(), rank.into()])
                    .collect(),
            ))
            .await?;
        }
        let select = format!(
            "SELECT k.rank, l.role, l.anchor, l.period, l.documented, \
             r.id AS record_id, r.level, r.matter, r.doc_number, r.dedupe_key, \
             t.id AS task_id, t.code, t.title, t.deadline, t.progress, p.title AS plan_title \
             FROM {TABLE} l JOIN {RANKS} k ON k.recipient_no = l.recipient_no \
             JOIN supervision_record r ON r.id = l.record_id \
             JOIN task t ON t.id = r.task_id JOIN plan p ON p.id = t.plan_id"
        );
        let mut out = Mails::new(&self.sweep_id, today, public_url, state, deliver_from, now);
        if backend == DatabaseBackend::Postgres {
            // Temporary tables are never analysed on their own.
            for text in [
                format!("ANALYZE {TABLE}"),
                format!("ANALYZE {RANKS}"),
                format!(
                    "DECLARE sweep_digests NO SCROLL CURSOR FOR {select} ORDER BY k.rank, l.seq"
                ),
            ] {
                tx.execute_raw(sql(backend, &text, vec![])).await?;
            }
            loop {
                let rows: Vec<LineRow> = query_all(
                    tx,
                    &format!("FETCH {LINES_PER_READ} FROM sweep_digests"),
                    vec![],
                )
                .await?;
                if rows.is_empty() {
                    break;
                }
                for row in rows {
                    out.line(tx, &order, row).await?;
                }
            }
            tx.execute_raw(sql(backend, "CLOSE sweep_digests", vec![]))
                .await?;
        } else {
            for text in [
                format!("CREATE INDEX temp.{TABLE}_by_recipient ON {TABLE} (recipient_no, seq)"),
                format!("CREATE INDEX temp.{RANKS}_by_rank ON {RANKS} (rank)"),
            ] {
                tx.execute_raw(sql(backend, &text, vec![])).await?;
            }
            let mut from = 0;
            for group in groups(&order) {
                let to = from + group.len();
                let rows: Vec<LineRow> = query_all(
                    tx,
                    &format!("{select} WHERE k.rank >= ? AND k.rank < ? ORDER BY k.rank, l.seq"),
                    vec![
                        i32::try_from(from).unwrap_or(i32::MAX).into(),
                        i32::try_from(to).unwrap_or(i32::MAX).into(),
                    ],
                )
                .await?;
                for row in rows {
                    out.line(tx, &order, row).await?;
                }
                from = to;
            }
        }
        out.finish(tx, &order).await
    }
}

/// The digests being assembled from lines in address order: the current recipient's
/// lines, and the rendered mails not inserted yet.
struct Mails<'a> {
    sweep_id: &'a str,
    today: NaiveDate,
    public_url: &'a str,
    state: DeliveryState,
    deliver_from: DateTime<Utc>,
    now: DateTime<Utc>,
    /// The rank of the recipient whose digest is being collected.
    rank: Option<i32>,
    digest: Collecting,
    outbox: Vec<Value>,
    attachments: Vec<Value>,
    pending: usize,
    mails: usize,
}

impl<'a> Mails<'a> {
    fn new(
        sweep_id: &'a str,
        today: NaiveDate,
        public_url: &'a str,
        state: DeliveryState,
        deliver_from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        Mails {
            sweep_id,
            today,
            public_url,
            state,
            deliver_from,
            now,
            rank: None,
            digest: Collecting::default(),
            outbox: Vec::new(),
            attachments: Vec::new(),
            pending: 0,
            mails: 0,
        }
    }

    /// Takes the next line (in rank order); a new rank completes the previous digest.
    async fn line(
        &mut self,
        tx: &impl ConnectionTrait,
        order: &[(&String, &Slot)],
        row: LineRow,
    ) -> AppResult<()> {
        if self.rank != Some(row.rank) {
            self.complete(tx, order).await?;
            self.rank = Some(row.rank);
        }
        let email = usize::try_from(row.rank)
            .ok()
            .and_then(|r| order.get(r))
            .map_or("", |(email, _)| email.as_str());
        self.digest.push(email, row, self.today);
        Ok(())
    }

    /// Completes the last digest and inserts what is left; returns the number of mails.
    async fn finish(
        mut self,
        tx: &impl ConnectionTrait,
        order: &[(&String, &Slot)],
    ) -> AppResult<usize> {
        self.complete(tx, order).await?;
        if self.pending > 0 {
            let backend = tx.get_database_backend();
            insert_mails(
                tx,
                backend,
                &mut self.attachments,
                std::mem::take(&mut self.outbox),
            )
            .await?;
        }
        Ok(self.mails)
    }

    /// Renders the digest of the current recipient's lines.
    async fn complete(
        &mut self,
        tx: &impl ConnectionTrait,
        order: &[(&String, &Slot)],
    ) -> AppResult<()> {
        let digest = std::mem::take(&mut self.digest);
        let Some((_, slot)) = self
            .rank
            .and_then(|r| usize::try_from(r).ok())
            .and_then(|r| order.get(r))
        else {
            return Ok(());
        };
        if digest.total == 0 {
            return Ok(());
        }
        let message_id = format!("{}.{}@duban", self.sweep_id, slot.no);
        let (listed, unlisted, key) = digest.finish();
        // Only the listed items' notices travel with the mail; every notice stays stored
        // and downloadable from its record.
        let mut items: Vec<DigestItem> = Vec::with_capacity(listed.len());
        for (item, record_id, documented) in listed {
            if documented {
                self.attachments
                    .extend([message_id.clone().into(), record_id.into()]);
            }
            items.push(item);
        }
        let r = &slot.recipient;
        let mail = render_digest(&r.name, &r.agency_name, &items, &unlisted, self.public_url);
        self.outbox.extend([
            format!("digest:{key}").into(),
            r.email.clone().into(),
            r.name.clone().into(),
            mail.subject.into(),
            mail.text.into(),
            mail.html.into(),
            message_id.into(),
            self.state.as_str().into(),
            0i32.into(),
            self.deliver_from.into(),
            self.now.into(),
        ]);
        self.pending += 1;
        self.mails += 1;
        if self.pending == MAILS_PER_INSERT {
            let backend = tx.get_database_backend();
            insert_mails(
                tx,
                backend,
                &mut self.attachments,
                std::mem::take(&mut self.outbox),
            )
            .await?;
            self.pending = 0;
        }
        Ok(())
    }
}

/// One recipient's digest as its lines arrive, in memory bounded by
/// [`templates::MAX_LISTED`]: the most urgent items so far, the number of the others by
/// level, and the digest's identity — a hash of the recipient and of every rung's dedupe
/// key, combined so that it does not depend on the order the lines came in.
#[derive(Default)]
struct Collecting {
    /// (item, record id, has a stored notice), at most twice `MAX_LISTED` between trims.
    listed: Vec<(DigestItem, i64, bool)>,
    unlisted: Vec<(Level, usize)>,
    total: usize,
    /// The sum, lane by lane, of SHA-256(recipient, key) over the rungs.
    key_sum: [u64; 4],
}

impl Collecting {
    fn push(&mut self, email: &str, row: LineRow, today: NaiveDate) {
        let mut h = Sha256::new();
        h.update(email.as_bytes());
        h.update(b"\n");
        h.update(row.dedupe_key.as_bytes());
        for (lane, chunk) in self.key_sum.iter_mut().zip(h.finalize().chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *lane = lane.wrapping_add(u64::from_le_bytes(b));
        }
        self.total += 1;
        self.listed
            .push((row.item(today), row.record_id, row.documented));
        if self.listed.len() >= 2 * templates::MAX_LISTED {
            self.trim();
        }
    }

    /// Keeps the `MAX_LISTED` most urgent items and counts the rest.
    fn trim(&mut self) {
        self.listed
            .sort_by(|a, b| templates::more_urgent(&a.0, &b.0));
        for (item, _, _) in self
            .listed
            .drain(templates::MAX_LISTED.min(self.listed.len())..)
        {
            match self.unlisted.iter_mut().find(|(l, _)| *l == item.level) {
                Some((_, n)) => *n += 1,
                None => self.unlisted.push((item.level, 1)),
            }
        }
    }

    /// The listed items, the others' counts by level, and the digest's key.
    fn finish(mut self) -> (Vec<(DigestItem, i64, bool)>, Vec<(Level, usize)>, String) {
        self.trim();
        let mut h = Sha256::new();
        for lane in self.key_sum {
            h.update(lane.to_le_bytes());
        }
        (self.listed, self.unlisted, hex::encode(h.finalize()))
    }
}

/// Recipients (in order) in groups whose lines stay within [`LINES_PER_READ`], except for
/// a recipient with more, who is a group alone.
fn groups<'a, T>(order: &'a [(T, &'a Slot)]) -> Vec<&'a [(T, &'a Slot)]> {
    let mut out = Vec::new();
    let (mut start, mut lines) = (0, 0);
    for (i, (_, slot)) in order.iter().enumerate() {
        if i > start && lines + slot.lines > LINES_PER_READ {
            out.push(&order[start..i]);
            (start, lines) = (i, 0);
        }
        lines += slot.lines;
    }
    if start < order.len() {
        out.push(&order[start..]);
    }
    out
}

async fn insert_lines(
    tx: &impl ConnectionTrait,
    backend: DatabaseBackend,
    rows: usize,
    values: Vec<Value>,
) -> AppResult<()> {
    let rows = vec![format!("({})", placeholders(7)); rows].join(", ");
    tx.execute_raw(sql(
        backend,
        &format!(
            "INSERT INTO {TABLE} (recipient_no, seq, record_id, role, anchor, period, documented) \
             VALUES {rows}"
        ),
        values,
    ))
    .await?;
    Ok(())
}

/// Inserts the attachments (pairs of Message-ID and record id, drained) and then the
/// digests `outbox` (11 values each), skipping a digest already enqueued.
async fn insert_mails(
    tx: &impl ConnectionTrait,
    backend: DatabaseBackend,
    attachments: &mut Vec<Value>,
    outbox: Vec<Value>,
) -> AppResult<()> {
    for chunk in std::mem::take(attachments).chunks(CHUNK / 2 * 2) {
        let rows = vec!["(?, ?)"; chunk.len() / 2].join(", ");
        tx.execute_raw(sql(
            backend,
            &format!("INSERT INTO outbox_attachment (message_id, record_id) VALUES {rows}"),
            chunk.to_vec(),
        ))
        .await?;
    }
    let rows = vec![format!("({})", placeholders(11)); outbox.len() / 11].join(", ");
    tx.execute_raw(sql(
        backend,
        &format!(
            "INSERT INTO outbox_message (dedupe_key, recipient, recipient_name, subject, \
             body_text, body_html, message_id, state, attempts, next_attempt_at, created_at) \
             VALUES {rows} ON CONFLICT (dedupe_key) DO NOTHING"
        ),
        outbox,
    ))
    .await?;
    Ok(())
}

/// A staged digest line with its record, task and plan.
#[derive(FromQueryResult)]
struct LineRow {
    /// The recipient's place in address order.
    rank: i32,
    role: i32,
    anchor: NaiveDate,
    period: Option<String>,
    documented: bool,
    record_id: i64,
    level: String,
    matter: String,
    doc_number: Option<String>,
    dedupe_key: String,
    task_id: i64,
    code: String,
    title: String,
    deadline: Option<NaiveDate>,
    progress: i32,
    plan_title: String,
}

impl LineRow {
    /// The digest item of the line, as [`super::recipients::address`] describes a rung.
    fn item(&self, today: NaiveDate) -> DigestItem {
        let matter = match (self.matter.as_str(), &self.period) {
            ("report", Some(period)) => Matter::Report {
                period: period.clone(),
            },
            ("verification", _) => Matter::Verification,
            _ => Matter::Deadline,
        };
        DigestItem {
            level: Level::parse(&self.level).unwrap_or(Level::Reminder),
            matter,
            plan_title: self.plan_title.clone(),
            task_code: self.code.clone(),
            task_title: self.title.clone(),
            role: role_of(self.role),
            deadline: Some(self.anchor),
            days: (today - self.anchor).num_days(),
            light: traffic_light(self.deadline, false, self.progress, today),
            link: format!("/tasks/{}", self.task_id),
            doc_number: self.doc_number.clone(),
        }
    }
}

/// How a recipient's role is staged (the inverse of [`role_of`]).
fn role_code(role: Role) -> i32 {
    match role {
        Role::Lead => 0,
        Role::Participant => 1,
        Role::Implementer => 2,
        Role::Office => 3,
        Role::Leadership => 4,
    }
}

fn role_of(code: i32) -> Role {
    match code {
        1 => Role::Participant,
        2 => Role::Implementer,
        3 => Role::Office,
        4 => Role::Leadership,
        _ => Role::Lead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_staged_and_read_back_as_itself() {
        for role in [
            Role::Lead,
            Role::Participant,
            Role::Implementer,
            Role::Office,
            Role::Leadership,
        ] {
            assert_eq!(role_of(role_code(role)), role);
        }
    }

    fn slot(lines: usize) -> Slot {
        Slot {
            no: 0,
            recipient: Recipient {
                email: String::new(),
                name: String::new(),
                agency_name: String::new(),
                agency_id: None,
                audience: Audience::Office,
                role: Role::Office,
            },
            lines,
        }
    }

    #[test]
    fn recipients_are_read_in_bounded_groups_and_a_large_one_alone() {
        let (small, big) = (slot(LINES_PER_READ / 2), slot(LINES_PER_READ * 3));
        let order = vec![
            (1, &small),
            (2, &small),
            (3, &small),
            (4, &big),
            (5, &small),
        ];
        let sizes: Vec<Vec<i32>> = groups(&order)
            .iter()
            .map(|g| g.iter().map(|(n, _)| *n).collect())
            .collect();
        assert_eq!(sizes, vec![vec![1, 2], vec![3], vec![4], vec![5]]);
        assert!(groups::<i32>(&[]).is_empty());
    }

    fn line(code: &str, level: Level, anchor: NaiveDate) -> LineRow {
        LineRow {
            rank: 0,
            role: 0,
            anchor,
            period: None,
            documented: code.ends_with('0'),
            record_id: code.len() as i64,
            level: level.as_str().to_owned(),
            matter: "deadline".into(),
            doc_number: None,
            dedupe_key: format!("key-{code}"),
            task_id: 1,
            code: code.to_owned(),
            title: format!("任务{code}"),
            deadline: Some(anchor),
            progress: 0,
            plan_title: "方案".into(),
        }
    }

    #[test]
    fn a_digest_keeps_the_most_urgent_lines_and_its_key_whatever_their_order() {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let lines: Vec<(String, Level, NaiveDate)> = (0..(templates::MAX_LISTED * 5))
            .map(|n| {
                let level = if n % 7 == 0 {
                    Level::Supervision
                } else {
                    Level::Urging
                };
                let anchor = today - chrono::Duration::days((n % 30) as i64);
                (format!("{n:04}"), level, anchor)
            })
            .collect();
        let collect = |order: Vec<&(String, Level, NaiveDate)>| {
            let mut c = Collecting::default();
            for (code, level, anchor) in order {
                c.push("a@example.gov.cn", line(code, *level, *anchor), today);
                assert!(c.listed.len() < 2 * templates::MAX_LISTED);
            }
            let total = c.total;
            let (listed, mut unlisted, key) = c.finish();
            unlisted.sort();
            let codes: Vec<String> = listed.iter().map(|(i, _, _)| i.task_code.clone()).collect();
            (total, codes, unlisted, key)
        };
        let forward = collect(lines.iter().collect());
        let backward = collect(lines.iter().rev().collect());
        assert_eq!(forward, backward);
        let (total, codes, unlisted, _) = &forward;
        assert_eq!(*total, lines.len());
        assert_eq!(codes.len(), templates::MAX_LISTED);
        assert_eq!(
            unlisted.iter().map(|(_, n)| n).sum::<usize>() + codes.len(),
            lines.len()
        );
        // The listed are exactly the most urgent of all.
        let mut all: Vec<DigestItem> = lines
            .iter()
            .map(|(c, l, a)| line(c, *l, *a).item(today))
            .collect();
        all.sort_by(templates::more_urgent);
        let best: Vec<String> = all[..templates::MAX_LISTED]
            .iter()
            .map(|i| i.task_code.clone())
            .collect();
        assert_eq!(*codes, best);
        // Another recipient, or one rung more, is another digest.
        let mut other = Collecting::default();
        for (code, level, anchor) in &lines {
            other.push("b@example.gov.cn", line(code, *level, *anchor), today);
        }
        assert_ne!(other.finish().2, forward.3);
    }
}
