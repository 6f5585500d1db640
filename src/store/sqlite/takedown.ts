/**
 * The takedown roles on SQLite (tables from migration `takedown`, below): reports, links
 * and their history, notices, the platform directory, answer templates, operators and
 * their sessions. Reads `cases` (number, status) and `platforms` (ids) but never writes
 * another role's tables.
 */
import type Database from 'better-sqlite3';
import { RempartError } from '../../errors.js';
import type {
  LinkRecord,
  LinkStatus,
  NewLink,
  NoticeLink,
  NoticeRecord,
  OperatorSession,
  OperatorStore,
  PlatformDirectoryStore,
  ReportRecord,
  ReportStore,
  TemplateStore,
} from '../takedown.js';
import { type SqliteColumnTypes, sqliteColumns } from '../columns.js';
import {
  type LinkEventRow as LinkEventRowOf,
  type LinkRow as LinkRowOf,
  type NoticeLinkRow as NoticeLinkRowOf,
  type NoticeRow as NoticeRowOf,
  type OperatorRow as OperatorRowOf,
  type ReportRow as ReportRowOf,
  type SessionRow as SessionRowOf,
  type SettingsRow as SettingsRowOf,
  type TemplateRow as TemplateRowOf,
  takedownRowMappers,
} from '../takedown-rows.js';
import type { Actor } from '../types.js';

export const TAKEDOWN_MIGRATION_SQL = `
  CREATE TABLE reports (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    ref                TEXT NOT NULL UNIQUE,
    case_id            INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    age_bracket        TEXT NOT NULL CHECK (age_bracket IN ('minor', 'adult')),
    language           TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    description_sealed TEXT,
    contact_sealed     TEXT,
    answer_sealed      TEXT,
    answer_at          TEXT,
    answer_by          TEXT,
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'withdrawn')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    closed_at          TEXT,
    personal_erased_at TEXT,
    minor_handled_at   TEXT,
    minor_handled_by   TEXT,
    minor_referral     TEXT
  ) STRICT;

  CREATE TABLE report_links (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ref         TEXT NOT NULL UNIQUE,
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    url         TEXT NOT NULL CHECK (length(url) <= 2048),
    host        TEXT NOT NULL,
    site_hint   TEXT,
    platform_id INTEGER REFERENCES platforms (id),
    status      TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                  ('received', 'under_review', 'checked', 'not_found', 'not_illegal', 'notice_sent', 'removed', 'refused', 'withdrawn')),
    reason      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    removed_at  TEXT,
    UNIQUE (report_id, url)
  ) STRICT;
  CREATE INDEX report_links_report ON report_links (report_id);

  CREATE TABLE link_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id    INTEGER NOT NULL REFERENCES report_links (id),
    at         TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    note       TEXT,
    notice_ref TEXT
  ) STRICT;
  CREATE INDEX link_events_link ON link_events (link_id);

  CREATE TABLE notices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ref         TEXT NOT NULL UNIQUE,
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    channel     TEXT NOT NULL CHECK (channel IN ('platform', 'email')),
    platform_id INTEGER REFERENCES platforms (id),
    recipient   TEXT,
    category    TEXT NOT NULL CHECK (category IN ('ncii', 'minor')),
    explanation TEXT NOT NULL,
    language    TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    sent_at     TEXT,
    send_error  TEXT,
    closed_at   TEXT,
    CONSTRAINT platform_notices_name_a_platform CHECK ((channel = 'platform') = (platform_id IS NOT NULL) OR channel = 'email'),
    CONSTRAINT email_notices_have_a_recipient CHECK (channel = 'platform' OR recipient IS NOT NULL)
  ) STRICT;
  CREATE INDEX notices_platform ON notices (platform_id, id);
  CREATE INDEX notices_report ON notices (report_id);

  CREATE TABLE notice_links (
    notice_id   INTEGER NOT NULL REFERENCES notices (id),
    link_id     INTEGER NOT NULL REFERENCES report_links (id),
    outcome     TEXT CHECK (outcome IN ('removed', 'refused')),
    reason      TEXT,
    answered_at TEXT,
    answered_by TEXT,
    PRIMARY KEY (notice_id, link_id)
  ) STRICT;
  CREATE INDEX notice_links_link ON notice_links (link_id);

  CREATE TABLE platform_notice_settings (
    platform_id    INTEGER PRIMARY KEY REFERENCES platforms (id),
    domains        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(domains)),
    notice_email   TEXT,
    deadline_hours INTEGER CHECK (deadline_hours IS NULL OR deadline_hours BETWEEN 1 AND 2160)
  ) STRICT;

  CREATE TABLE answer_templates (
    key        TEXT NOT NULL,
    language   TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (key, language)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE operators (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    totp_sealed   TEXT NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
  ) STRICT;

  CREATE TABLE operator_sessions (
    token_hash   TEXT PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
`;

type ReportRow = ReportRowOf<SqliteColumnTypes>;
type LinkRow = LinkRowOf<SqliteColumnTypes>;
type NoticeRow = NoticeRowOf<SqliteColumnTypes>;
type NoticeLinkRow = NoticeLinkRowOf<SqliteColumnTypes>;
type OperatorRow = OperatorRowOf<SqliteColumnTypes>;
type SettingsRow = SettingsRowOf<SqliteColumnTypes>;
type SessionRow = SessionRowOf<SqliteColumnTypes>;
type LinkEventRow = LinkEventRowOf<SqliteColumnTypes>;
type TemplateRow = TemplateRowOf<SqliteColumnTypes>;
const rowMappers = takedownRowMappers(sqliteColumns);
const { report: toReport, link: toLink, notice: toNotice, settings: toSettings, operator: toOperator } = rowMappers;

const REPORT_SELECT = `SELECT r.*, c.number AS case_number FROM reports r JOIN cases c ON c.id = r.case_id`;
const OPEN_LINK_STATUSES = `('received', 'under_review', 'checked', 'notice_sent')`;

export type TakedownRoles = ReportStore & PlatformDirectoryStore & TemplateStore & OperatorStore;

export function sqliteTakedownStore(db: Database.Database, now: () => Date): TakedownRoles {
  const iso = () => now().toISOString();
  const sql = {
    insertReport: db.prepare(
      `INSERT INTO reports (ref, case_id, age_bracket, language, description_sealed, contact_sealed, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    reportById: db.prepare<[number], ReportRow>(`${REPORT_SELECT} WHERE r.id = ?`),
    reportByRef: db.prepare<[string], ReportRow>(`${REPORT_SELECT} WHERE r.ref = ?`),
    reportByCase: db.prepare<[number], ReportRow>(`${REPORT_SELECT} WHERE r.case_id = ?`),
    touchReport: db.prepare(`UPDATE reports SET updated_at = ? WHERE id = ?`),
    reopenReport: db.prepare(`UPDATE reports SET status = 'open', closed_at = NULL, updated_at = ? WHERE id = ? AND status = 'closed'`),
    insertLink: db.prepare(
      `INSERT INTO report_links (ref, report_id, url, host, site_hint, platform_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id, url) DO NOTHING`,
    ),
    linkById: db.prepare<[number], LinkRow>('SELECT * FROM report_links WHERE id = ?'),
    linkByRef: db.prepare<[string], LinkRow>('SELECT * FROM report_links WHERE ref = ?'),
    linksOfReport: db.prepare<[number], LinkRow>('SELECT * FROM report_links WHERE report_id = ? ORDER BY id'),
    linksOfReports: db.prepare<[string], LinkRow>(
      'SELECT * FROM report_links WHERE report_id IN (SELECT value FROM json_each(?)) ORDER BY id',
    ),
    setLinkStatus: db.prepare(
      `UPDATE report_links SET status = ?, reason = ?, updated_at = ?,
              removed_at = CASE WHEN ? = 'removed' THEN coalesce(removed_at, ?) ELSE removed_at END
        WHERE id = ?`,
    ),
    setLinkPlatform: db.prepare('UPDATE report_links SET platform_id = ? WHERE id = ?'),
    insertEvent: db.prepare(
      'INSERT INTO link_events (link_id, at, actor_kind, actor_id, status, note, notice_ref) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    eventsOfReport: db.prepare<[number], LinkEventRow>(
      `SELECT e.* FROM link_events e JOIN report_links l ON l.id = e.link_id WHERE l.report_id = ? ORDER BY e.id`,
    ),
    setAnswer: db.prepare('UPDATE reports SET answer_sealed = ?, answer_at = ?, answer_by = ?, updated_at = ? WHERE id = ?'),
    setMinorHandled: db.prepare(
      'UPDATE reports SET minor_handled_at = ?, minor_handled_by = ?, minor_referral = ?, updated_at = ? WHERE id = ?',
    ),
    closeReport: db.prepare(
      `UPDATE reports SET status = ?, closed_at = ?, updated_at = ?, description_sealed = NULL, contact_sealed = NULL,
              personal_erased_at = coalesce(personal_erased_at, ?)
        WHERE id = ?`,
    ),
    withdrawOpenLinks: db.prepare<[number], { id: number }>(
      `SELECT id FROM report_links WHERE report_id = ? AND status IN ${OPEN_LINK_STATUSES.replace(", 'notice_sent'", '')}`,
    ),
    erase: db.prepare(
      `UPDATE reports SET description_sealed = NULL, contact_sealed = NULL, personal_erased_at = ?
        WHERE id = ? AND (description_sealed IS NOT NULL OR contact_sealed IS NOT NULL OR personal_erased_at IS NULL)`,
    ),
    eraseAnswer: db.prepare('UPDATE reports SET answer_sealed = NULL WHERE id = ?'),
    dueForErasure: db.prepare<[string], { id: number }>(
      `SELECT r.id FROM reports r JOIN cases c ON c.id = r.case_id
        WHERE (r.description_sealed IS NOT NULL OR r.contact_sealed IS NOT NULL OR r.answer_sealed IS NOT NULL AND c.status = 'withdrawn')
          AND (r.created_at < ? OR c.status = 'withdrawn' OR r.status <> 'open')
        ORDER BY r.id`,
    ),
    openReports: db.prepare<[], ReportRow>(
      `${REPORT_SELECT} WHERE r.status = 'open' AND EXISTS
         (SELECT 1 FROM report_links l WHERE l.report_id = r.id AND l.status IN ${OPEN_LINK_STATUSES})
        ORDER BY r.id`,
    ),
    insertNotice: db.prepare(
      `INSERT INTO notices (ref, report_id, channel, platform_id, recipient, category, explanation, language, created_at, created_by, deadline_at, sent_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertNoticeLink: db.prepare('INSERT INTO notice_links (notice_id, link_id) VALUES (?, ?)'),
    noticeById: db.prepare<[number], NoticeRow>('SELECT * FROM notices WHERE id = ?'),
    noticeByRef: db.prepare<[string], NoticeRow>('SELECT * FROM notices WHERE ref = ?'),
    noticeLinks: db.prepare<[string], NoticeLinkRow>(
      `SELECT nl.*, l.ref AS link_ref, l.url FROM notice_links nl JOIN report_links l ON l.id = nl.link_id
        WHERE nl.notice_id IN (SELECT value FROM json_each(?)) ORDER BY nl.link_id`,
    ),
    markSent: db.prepare('UPDATE notices SET sent_at = ?, send_error = ? WHERE id = ?'),
    answerLink: db.prepare(
      'UPDATE notice_links SET outcome = ?, reason = ?, answered_at = ?, answered_by = ? WHERE notice_id = ? AND link_id = ?',
    ),
    unanswered: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM notice_links WHERE notice_id = ? AND outcome IS NULL'),
    closeNotice: db.prepare('UPDATE notices SET closed_at = ? WHERE id = ? AND closed_at IS NULL'),
    reportingReports: db.prepare<[string, string], { created_at: string; age_bracket: ReportRecord['ageBracket'] }>(
      'SELECT created_at, age_bracket FROM reports WHERE created_at >= ? AND created_at < ?',
    ),
    reportingLinks: db.prepare<[string, string], { created_at: string; removed_at: string | null; platform_id: number | null; status: LinkStatus }>(
      'SELECT created_at, removed_at, platform_id, status FROM report_links WHERE created_at >= ? AND created_at < ?',
    ),
    reportingNotices: db.prepare<[string, string], { created_at: string; channel: NoticeRecord['channel']; platform_id: number | null; category: NoticeRecord['category'] }>(
      'SELECT created_at, channel, platform_id, category FROM notices WHERE created_at >= ? AND created_at < ?',
    ),
    reportingRemovals: db.prepare<[string, string], { removed_at: string; created_at: string; first_notice_at: string | null; platform_id: number | null }>(
      `SELECT l.removed_at, l.created_at, l.platform_id,
              (SELECT min(n.created_at) FROM notice_links nl JOIN notices n ON n.id = nl.notice_id WHERE nl.link_id = l.id) AS first_notice_at
         FROM report_links l WHERE l.removed_at >= ? AND l.removed_at < ?`,
    ),
    settings: db.prepare<[number], SettingsRow>(
      'SELECT * FROM platform_notice_settings WHERE platform_id = ?',
    ),
    allSettings: db.prepare<[], SettingsRow>(
      'SELECT * FROM platform_notice_settings ORDER BY platform_id',
    ),
    upsertSettings: db.prepare(
      `INSERT INTO platform_notice_settings (platform_id, domains, notice_email, deadline_hours) VALUES (?, ?, ?, ?)
       ON CONFLICT (platform_id) DO UPDATE SET domains = excluded.domains, notice_email = excluded.notice_email, deadline_hours = excluded.deadline_hours`,
    ),
    templates: db.prepare<[], TemplateRow>(
      'SELECT * FROM answer_templates ORDER BY key, language',
    ),
    saveTemplate: db.prepare(
      `INSERT INTO answer_templates (key, language, title, body, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key, language) DO UPDATE SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    ),
    insertOperator: db.prepare('INSERT INTO operators (name, password_hash, totp_sealed, created_at) VALUES (?, ?, ?, ?)'),
    operatorById: db.prepare<[number], OperatorRow>('SELECT * FROM operators WHERE id = ?'),
    operatorByName: db.prepare<[string], OperatorRow>('SELECT * FROM operators WHERE name = ?'),
    operators: db.prepare<[], OperatorRow>('SELECT * FROM operators ORDER BY id'),
    insertSession: db.prepare(
      'INSERT INTO operator_sessions (token_hash, operator_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    session: db.prepare<[string], SessionRow>(
      'SELECT * FROM operator_sessions WHERE token_hash = ?',
    ),
    touchSession: db.prepare('UPDATE operator_sessions SET last_seen_at = ? WHERE token_hash = ?'),
    deleteSession: db.prepare('DELETE FROM operator_sessions WHERE token_hash = ?'),
    deleteOperatorSessions: db.prepare('DELETE FROM operator_sessions WHERE operator_id = ?'),
    deleteExpired: db.prepare('DELETE FROM operator_sessions WHERE expires_at <= ? OR last_seen_at <= ?'),
    acceptTotpStep: db.prepare(
      'UPDATE operators SET totp_last_step = ?, failed_logins = 0, locked_until = NULL WHERE id = ? AND totp_last_step < ?',
    ),
    loginFailure: db.prepare(
      `UPDATE operators SET failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
              locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
        WHERE id = ?`,
    ),
  };

  function event(linkId: number, status: LinkStatus, actor: Actor, at: string, note: string | null, noticeRef: string | null) {
    sql.insertEvent.run(linkId, at, actor.kind, actor.id, status, note, noticeRef);
  }

  function insertLinks(reportId: number, links: readonly NewLink[], actor: Actor, at: string): LinkRecord[] {
    const added: LinkRecord[] = [];
    for (const link of links) {
      const result = sql.insertLink.run(link.ref, reportId, link.url, link.host, link.siteHint, link.platformId, at, at);
      if (result.changes === 0) continue;
      const id = Number(result.lastInsertRowid);
      event(id, 'received', actor, at, null, null);
      added.push(toLink(sql.linkById.get(id)!));
    }
    return added;
  }

  function noticesWithLinks(rows: NoticeRow[]): NoticeRecord[] {
    if (rows.length === 0) return [];
    const byNotice = new Map<number, NoticeLink[]>();
    for (const row of sql.noticeLinks.all(JSON.stringify(rows.map((r) => r.id)))) {
      const list = byNotice.get(row.notice_id) ?? [];
      list.push(rowMappers.noticeLink(row));
      byNotice.set(row.notice_id, list);
    }
    return rows.map((row) => toNotice(row, byNotice.get(row.id) ?? []));
  }

  const createReportTx = db.transaction((input: Parameters<ReportStore['createReport']>[0]) => {
    const at = iso();
    let reportId: number;
    try {
      reportId = Number(
        sql.insertReport.run(input.ref, input.caseId, input.ageBracket, input.language, input.descriptionSealed, input.contactSealed, at, at)
          .lastInsertRowid,
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new RempartError('CONFLICT', 'this case already has a report: add links to it instead');
      }
      throw error;
    }
    insertLinks(reportId, input.links, input.actor, at);
    return toReport(sql.reportById.get(reportId)!);
  });

  const addLinksTx = db.transaction((reportId: number, links: NewLink[], actor: Actor) => {
    const at = iso();
    const added = insertLinks(reportId, links, actor, at);
    if (added.length > 0) {
      sql.reopenReport.run(at, reportId);
      sql.touchReport.run(at, reportId);
    }
    return added;
  });

  const setLinkStatusTx = db.transaction(
    (linkId: number, status: LinkStatus, e: { actor: Actor; note?: string | null; reason?: string | null }, noticeRef: string | null = null) => {
      const at = iso();
      const link = sql.linkById.get(linkId);
      if (!link) throw new RempartError('NOT_FOUND', `no link with id ${linkId}`);
      sql.setLinkStatus.run(status, e.reason ?? null, at, status, at, linkId);
      sql.touchReport.run(at, link.report_id);
      event(linkId, status, e.actor, at, e.note ?? e.reason ?? null, noticeRef);
      return toLink(sql.linkById.get(linkId)!);
    },
  );

  const closeReportTx = db.transaction((reportId: number, status: 'closed' | 'withdrawn', at: string) => {
    sql.closeReport.run(status, at, at, at, reportId);
    if (status === 'withdrawn') {
      sql.eraseAnswer.run(reportId);
      const actor: Actor = { kind: 'system', id: 'withdrawal' };
      for (const { id } of sql.withdrawOpenLinks.all(reportId)) {
        sql.setLinkStatus.run('withdrawn', null, at, 'withdrawn', at, id);
        event(id, 'withdrawn', actor, at, null, null);
      }
    }
  });

  const eraseTx = db.transaction((reportId: number, at: string, answer: boolean) => {
    const erased = sql.erase.run(at, reportId).changes > 0;
    if (answer) sql.eraseAnswer.run(reportId);
    return erased;
  });

  const createNoticeTx = db.transaction((input: Parameters<ReportStore['createNotice']>[0]) => {
    const at = iso();
    const sentAt = input.channel === 'platform' ? at : null;
    const id = Number(
      sql.insertNotice.run(
        input.ref,
        input.reportId,
        input.channel,
        input.platformId,
        input.recipient,
        input.category,
        input.explanation,
        input.language,
        at,
        input.actor.id,
        input.deadlineAt,
        sentAt,
      ).lastInsertRowid,
    );
    for (const linkId of input.linkIds) {
      const link = sql.linkById.get(linkId);
      if (!link || link.report_id !== input.reportId) {
        throw new RempartError('BAD_REQUEST', `link ${linkId} is not a link of this report`);
      }
      sql.insertNoticeLink.run(id, linkId);
      sql.setLinkStatus.run('notice_sent', null, at, 'notice_sent', at, linkId);
      event(linkId, 'notice_sent', input.actor, at, input.channel === 'email' ? `email to ${input.recipient}` : null, input.ref);
    }
    sql.touchReport.run(at, input.reportId);
    return noticesWithLinks([sql.noticeById.get(id)!])[0]!;
  });

  const answerTx = db.transaction(
    (noticeId: number, linkId: number, answer: Parameters<ReportStore['answerNotice']>[2]) => {
      const notice = sql.noticeById.get(noticeId);
      if (!notice) throw new RempartError('NOT_FOUND', `no notice with id ${noticeId}`);
      const by = `${answer.actor.kind}:${answer.actor.id}`;
      if (sql.answerLink.run(answer.outcome, answer.reason, answer.at, by, noticeId, linkId).changes === 0) {
        throw new RempartError('BAD_REQUEST', `link ${linkId} is not part of notice ${notice.ref}`);
      }
      sql.setLinkStatus.run(answer.outcome, answer.reason, answer.at, answer.outcome, answer.at, linkId);
      event(linkId, answer.outcome, answer.actor, answer.at, answer.reason, notice.ref);
      const link = sql.linkById.get(linkId)!;
      sql.touchReport.run(answer.at, link.report_id);
      if (sql.unanswered.get(noticeId)!.n === 0) sql.closeNotice.run(answer.at, noticeId);
      return noticesWithLinks([sql.noticeById.get(noticeId)!])[0]!;
    },
  );

  return {
    async createReport(input) {
      return createReportTx(input);
    },
    async getReport(ref) {
      const row = sql.reportByRef.get(ref);
      return row && toReport(row);
    },
    async getReportById(id) {
      const row = sql.reportById.get(id);
      return row && toReport(row);
    },
    async getReportByCase(caseId) {
      const row = sql.reportByCase.get(caseId);
      return row && toReport(row);
    },
    async addLinks(reportId, links, actor) {
      return addLinksTx(reportId, links, actor);
    },
    async listLinks(reportId) {
      return sql.linksOfReport.all(reportId).map(toLink);
    },
    async getLink(ref) {
      const row = sql.linkByRef.get(ref);
      return row && toLink(row);
    },
    async setLinkStatus(linkId, status, e) {
      return setLinkStatusTx(linkId, status, e);
    },
    async linkEvents(reportId) {
      return sql.eventsOfReport.all(reportId).map(rowMappers.linkEvent);
    },
    async setLinkPlatform(linkId, platformId) {
      sql.setLinkPlatform.run(platformId, linkId);
    },
    async setAnswer(reportId, answer) {
      sql.setAnswer.run(answer.sealed, answer.at, answer.by, answer.at, reportId);
    },
    async setMinorHandled(reportId, handled) {
      sql.setMinorHandled.run(handled.at, handled.by, handled.referral, handled.at, reportId);
    },
    async closeReport(reportId, status, at) {
      closeReportTx(reportId, status, at);
    },
    async erasePersonalData(reportId, at, options = {}) {
      return eraseTx(reportId, at, options.answer === true);
    },
    async reportsDueForErasure(createdBefore) {
      return sql.dueForErasure.all(createdBefore).map((row) => row.id);
    },
    async openReports() {
      return sql.openReports.all().map(toReport);
    },
    async listReports(options = {}) {
      const rows = db
        .prepare<(string | number)[], ReportRow>(
          `${REPORT_SELECT} ${options.status ? 'WHERE r.status = ?' : ''} ORDER BY r.id DESC LIMIT ?`,
        )
        .all(...(options.status ? [options.status] : []), options.limit ?? 200);
      return rows.map(toReport);
    },
    async linksOfReports(reportIds) {
      if (reportIds.length === 0) return [];
      return sql.linksOfReports.all(JSON.stringify(reportIds)).map(toLink);
    },

    async createNotice(input) {
      return createNoticeTx(input);
    },
    async markNoticeSent(noticeId, result) {
      sql.markSent.run(result.sentAt, result.error, noticeId);
    },
    async getNotice(ref) {
      const row = sql.noticeByRef.get(ref);
      return row && noticesWithLinks([row])[0];
    },
    async listNotices(options = {}) {
      const where: string[] = ['id > ?'];
      const params: (string | number)[] = [options.afterId ?? 0];
      if (options.platformId !== undefined) {
        where.push('platform_id = ?');
        params.push(options.platformId);
      }
      if (options.reportId !== undefined) {
        where.push('report_id = ?');
        params.push(options.reportId);
      }
      if (options.open === true) where.push('closed_at IS NULL');
      if (options.open === false) where.push('closed_at IS NOT NULL');
      const rows = db
        .prepare<(string | number)[], NoticeRow>(`SELECT * FROM notices WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`)
        .all(...params, options.limit ?? 500);
      return noticesWithLinks(rows);
    },
    async answerNotice(noticeId, linkId, answer) {
      return answerTx(noticeId, linkId, answer);
    },
    async reportingRows(from, to) {
      return rowMappers.reporting({
        reports: sql.reportingReports.all(from, to),
        links: sql.reportingLinks.all(from, to),
        notices: sql.reportingNotices.all(from, to),
        removals: sql.reportingRemovals.all(from, to),
      });
    },

    async getPlatformNoticeSettings(platformId) {
      const row = sql.settings.get(platformId);
      return row ? toSettings(row) : { platformId, domains: [], noticeEmail: null, deadlineHours: null };
    },
    async listPlatformNoticeSettings() {
      return sql.allSettings.all().map(toSettings);
    },
    async setPlatformNoticeSettings(settings) {
      sql.upsertSettings.run(settings.platformId, JSON.stringify(settings.domains), settings.noticeEmail, settings.deadlineHours);
    },

    async listTemplates() {
      return sql.templates.all().map(rowMappers.template);
    },
    async saveTemplate(t) {
      sql.saveTemplate.run(t.key, t.language, t.title, t.body, t.updatedAt, t.updatedBy);
    },

    async createOperator(input) {
      try {
        const id = Number(sql.insertOperator.run(input.name, input.passwordHash, input.totpSealed, input.at).lastInsertRowid);
        return toOperator(sql.operatorById.get(id)!);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new RempartError('CONFLICT', `an operator named "${input.name}" already exists`);
        }
        throw error;
      }
    },
    async getOperatorByName(name) {
      const row = sql.operatorByName.get(name);
      return row && toOperator(row);
    },
    async getOperatorById(id) {
      const row = sql.operatorById.get(id);
      return row && toOperator(row);
    },
    async listOperators() {
      return sql.operators.all().map(toOperator);
    },
    async updateOperator(id, patch) {
      const columns: Record<string, string> = {
        passwordHash: 'password_hash',
        totpSealed: 'totp_sealed',
        totpLastStep: 'totp_last_step',
        failedLogins: 'failed_logins',
        lockedUntil: 'locked_until',
        disabledAt: 'disabled_at',
      };
      const entries = Object.entries(patch).filter(([key]) => key in columns);
      if (entries.length === 0) return;
      db.prepare(`UPDATE operators SET ${entries.map(([key]) => `${columns[key]} = ?`).join(', ')} WHERE id = ?`).run(
        ...entries.map(([, value]) => value as string | number | null),
        id,
      );
    },
    async acceptTotpStep(operatorId, step) {
      return sql.acceptTotpStep.run(step, operatorId, step).changes > 0;
    },
    async recordLoginFailure(operatorId, maxFailures, lockUntil) {
      sql.loginFailure.run(maxFailures, maxFailures, lockUntil, operatorId);
    },
    async createSession(s: OperatorSession) {
      sql.insertSession.run(s.tokenHash, s.operatorId, s.csrfToken, s.createdAt, s.lastSeenAt, s.expiresAt);
    },
    async getSession(tokenHash) {
      const row = sql.session.get(tokenHash);
      return row && rowMappers.session(row);
    },
    async touchSession(tokenHash, lastSeenAt) {
      sql.touchSession.run(lastSeenAt, tokenHash);
    },
    async deleteSession(tokenHash) {
      sql.deleteSession.run(tokenHash);
    },
    async deleteOperatorSessions(operatorId) {
      sql.deleteOperatorSessions.run(operatorId);
    },
    async deleteExpiredSessions(at, idleBefore) {
      return sql.deleteExpired.run(at, idleBefore).changes;
    },
  };
}
