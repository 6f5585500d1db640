/**
 * The takedown roles on PostgreSQL (tables from the `takedown and webhooks` migration):
 * reports, links and their history, notices, the platform directory, answer templates,
 * operators and their sessions. Same contract as ../sqlite/takedown.ts
 * (test/store-takedown-contract.test.ts runs both). Reads `cases` (number, status) and
 * `platforms` (ids) but never writes another role's tables.
 *
 * Several replicas write here at once: a multi-row change is one transaction, and the
 * rows a decision depends on are locked first (the notice when an answer may close it,
 * the link when its status moves).
 */
import type pg from 'pg';
import { RempartError } from '../../errors.js';
import type {
  LinkRecord,
  LinkStatus,
  NewLink,
  NoticeLink,
  NoticeRecord,
  OperatorStore,
  PlatformDirectoryStore,
  ReportRecord,
  ReportStore,
  TemplateStore,
} from '../takedown.js';
import { type PostgresColumnTypes, postgresColumns } from '../columns.js';
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
import { type Queryable, inTransaction } from './connection.js';

const UNIQUE_VIOLATION = '23505';

type ReportRow = ReportRowOf<PostgresColumnTypes>;
type LinkRow = LinkRowOf<PostgresColumnTypes>;
type NoticeRow = NoticeRowOf<PostgresColumnTypes>;
type NoticeLinkRow = NoticeLinkRowOf<PostgresColumnTypes>;
type OperatorRow = OperatorRowOf<PostgresColumnTypes>;
type SettingsRow = SettingsRowOf<PostgresColumnTypes>;
type SessionRow = SessionRowOf<PostgresColumnTypes>;
type LinkEventRow = LinkEventRowOf<PostgresColumnTypes>;
type TemplateRow = TemplateRowOf<PostgresColumnTypes>;
const rowMappers = takedownRowMappers(postgresColumns);
const { report: toReport, link: toLink, notice: toNotice, settings: toSettings, operator: toOperator } = rowMappers;

const REPORT_SELECT = `SELECT r.*, c.number AS case_number FROM reports r JOIN cases c ON c.id = r.case_id`;
const OPEN_LINK_STATUSES = `('received', 'under_review', 'checked', 'notice_sent')`;
/** Links a withdrawal stops: those no notice has gone out for yet. */
const UNSENT_LINK_STATUSES = `('received', 'under_review', 'checked')`;
const SET_LINK_STATUS = `UPDATE report_links SET status = $1, reason = $2, updated_at = $3,
         removed_at = CASE WHEN $1 = 'removed' THEN coalesce(removed_at, $3) ELSE removed_at END
   WHERE id = $4`;

export type TakedownRoles = ReportStore & PlatformDirectoryStore & TemplateStore & OperatorStore;

export interface PostgresTakedownOptions {
  /** Called after personal data was erased (VACUUM then removes the old row versions). */
  onErased?: () => void;
}

export function postgresTakedownRole(pool: pg.Pool, now: () => Date, options: PostgresTakedownOptions = {}): TakedownRoles {
  const iso = () => now().toISOString();
  const erased = () => options.onErased?.();

  async function event(client: Queryable, linkId: number, status: LinkStatus, actor: Actor, at: string, note: string | null, noticeRef: string | null) {
    await client.query(
      'INSERT INTO link_events (link_id, at, actor_kind, actor_id, status, note, notice_ref) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [linkId, at, actor.kind, actor.id, status, note, noticeRef],
    );
  }

  async function moveLink(client: Queryable, linkId: number, status: LinkStatus, reason: string | null, at: string) {
    await client.query(SET_LINK_STATUS, [status, reason, at, linkId]);
  }

  async function touchReport(client: Queryable, reportId: number, at: string) {
    await client.query('UPDATE reports SET updated_at = $1 WHERE id = $2', [at, reportId]);
  }

  async function reportById(client: Queryable, id: number): Promise<ReportRecord | undefined> {
    const { rows } = await client.query<ReportRow>(`${REPORT_SELECT} WHERE r.id = $1`, [id]);
    return rows[0] && toReport(rows[0]);
  }

  async function insertLinks(client: Queryable, reportId: number, links: readonly NewLink[], actor: Actor, at: string): Promise<LinkRecord[]> {
    const added: LinkRecord[] = [];
    for (const link of links) {
      const { rows } = await client.query<LinkRow>(
        `INSERT INTO report_links (ref, report_id, url, host, site_hint, platform_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (report_id, url) DO NOTHING RETURNING *`,
        [link.ref, reportId, link.url, link.host, link.siteHint, link.platformId, at],
      );
      if (rows.length === 0) continue;
      await event(client, rows[0]!.id, 'received', actor, at, null, null);
      added.push(toLink(rows[0]!));
    }
    return added;
  }

  async function noticesWithLinks(client: Queryable, rows: NoticeRow[]): Promise<NoticeRecord[]> {
    if (rows.length === 0) return [];
    const { rows: linkRows } = await client.query<NoticeLinkRow>(
      `SELECT nl.*, l.ref AS link_ref, l.url FROM notice_links nl JOIN report_links l ON l.id = nl.link_id
        WHERE nl.notice_id = ANY($1::bigint[]) ORDER BY nl.link_id`,
      [rows.map((r) => r.id)],
    );
    const byNotice = new Map<number, NoticeLink[]>();
    for (const row of linkRows) {
      const list = byNotice.get(row.notice_id) ?? [];
      list.push(rowMappers.noticeLink(row));
      byNotice.set(row.notice_id, list);
    }
    return rows.map((row) => toNotice(row, byNotice.get(row.id) ?? []));
  }

  async function noticeById(client: Queryable, id: number): Promise<NoticeRecord> {
    const { rows } = await client.query<NoticeRow>('SELECT * FROM notices WHERE id = $1', [id]);
    return (await noticesWithLinks(client, rows))[0]!;
  }

  return {
    async createReport(input) {
      return inTransaction(pool, async (client) => {
        const at = iso();
        let reportId: number;
        try {
          const { rows } = await client.query<{ id: number }>(
            `INSERT INTO reports (ref, case_id, age_bracket, language, description_sealed, contact_sealed, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
            [input.ref, input.caseId, input.ageBracket, input.language, input.descriptionSealed, input.contactSealed, at],
          );
          reportId = rows[0]!.id;
        } catch (error) {
          if (isUniqueViolation(error, 'reports_case_id_key')) {
            throw new RempartError('CONFLICT', 'this case already has a report: add links to it instead');
          }
          throw error;
        }
        await insertLinks(client, reportId, input.links, input.actor, at);
        return (await reportById(client, reportId))!;
      });
    },
    async getReport(ref) {
      const { rows } = await pool.query<ReportRow>(`${REPORT_SELECT} WHERE r.ref = $1`, [ref]);
      return rows[0] && toReport(rows[0]);
    },
    async getReportById(id) {
      return reportById(pool, id);
    },
    async getReportByCase(caseId) {
      const { rows } = await pool.query<ReportRow>(`${REPORT_SELECT} WHERE r.case_id = $1`, [caseId]);
      return rows[0] && toReport(rows[0]);
    },
    async addLinks(reportId, links, actor) {
      return inTransaction(pool, async (client) => {
        const at = iso();
        const added = await insertLinks(client, reportId, links, actor, at);
        if (added.length > 0) {
          await client.query(
            `UPDATE reports SET status = CASE WHEN status = 'closed' THEN 'open' ELSE status END,
                    closed_at = CASE WHEN status = 'closed' THEN NULL ELSE closed_at END, updated_at = $1
              WHERE id = $2`,
            [at, reportId],
          );
        }
        return added;
      });
    },
    async listLinks(reportId) {
      const { rows } = await pool.query<LinkRow>('SELECT * FROM report_links WHERE report_id = $1 ORDER BY id', [reportId]);
      return rows.map(toLink);
    },
    async getLink(ref) {
      const { rows } = await pool.query<LinkRow>('SELECT * FROM report_links WHERE ref = $1', [ref]);
      return rows[0] && toLink(rows[0]);
    },
    async setLinkStatus(linkId, status, e) {
      return inTransaction(pool, async (client) => {
        const at = iso();
        const { rows } = await client.query<{ report_id: number }>('SELECT report_id FROM report_links WHERE id = $1 FOR UPDATE', [linkId]);
        if (rows.length === 0) throw new RempartError('NOT_FOUND', `no link with id ${linkId}`);
        await moveLink(client, linkId, status, e.reason ?? null, at);
        await touchReport(client, rows[0]!.report_id, at);
        await event(client, linkId, status, e.actor, at, e.note ?? e.reason ?? null, null);
        const { rows: after } = await client.query<LinkRow>('SELECT * FROM report_links WHERE id = $1', [linkId]);
        return toLink(after[0]!);
      });
    },
    async linkEvents(reportId) {
      const { rows } = await pool.query<LinkEventRow>(
        `SELECT e.* FROM link_events e JOIN report_links l ON l.id = e.link_id WHERE l.report_id = $1 ORDER BY e.id`,
        [reportId],
      );
      return rows.map(rowMappers.linkEvent);
    },
    async setLinkPlatform(linkId, platformId) {
      await pool.query('UPDATE report_links SET platform_id = $1 WHERE id = $2', [platformId, linkId]);
    },
    async setAnswer(reportId, answer) {
      await pool.query('UPDATE reports SET answer_sealed = $1, answer_at = $2, answer_by = $3, updated_at = $2 WHERE id = $4', [
        answer.sealed,
        answer.at,
        answer.by,
        reportId,
      ]);
    },
    async setMinorHandled(reportId, handled) {
      await pool.query(
        'UPDATE reports SET minor_handled_at = $1, minor_handled_by = $2, minor_referral = $3, updated_at = $1 WHERE id = $4',
        [handled.at, handled.by, handled.referral, reportId],
      );
    },
    async closeReport(reportId, status, at) {
      await inTransaction(pool, async (client) => {
        await client.query(
          `UPDATE reports SET status = $1, closed_at = $2, updated_at = $2, description_sealed = NULL, contact_sealed = NULL,
                  personal_erased_at = coalesce(personal_erased_at, $2)
            WHERE id = $3`,
          [status, at, reportId],
        );
        if (status !== 'withdrawn') return;
        await client.query('UPDATE reports SET answer_sealed = NULL WHERE id = $1', [reportId]);
        const actor: Actor = { kind: 'system', id: 'withdrawal' };
        const { rows } = await client.query<{ id: number }>(
          `SELECT id FROM report_links WHERE report_id = $1 AND status IN ${UNSENT_LINK_STATUSES} ORDER BY id FOR UPDATE`,
          [reportId],
        );
        for (const { id } of rows) {
          await moveLink(client, id, 'withdrawn', null, at);
          await event(client, id, 'withdrawn', actor, at, null, null);
        }
      });
      erased();
    },
    async erasePersonalData(reportId, at, options = {}) {
      const done = await inTransaction(pool, async (client) => {
        const result = await client.query(
          `UPDATE reports SET description_sealed = NULL, contact_sealed = NULL, personal_erased_at = $1
            WHERE id = $2 AND (description_sealed IS NOT NULL OR contact_sealed IS NOT NULL OR personal_erased_at IS NULL)`,
          [at, reportId],
        );
        if (options.answer === true) await client.query('UPDATE reports SET answer_sealed = NULL WHERE id = $1', [reportId]);
        return (result.rowCount ?? 0) > 0;
      });
      if (done || options.answer === true) erased();
      return done;
    },
    async reportsDueForErasure(createdBefore) {
      const { rows } = await pool.query<{ id: number }>(
        `SELECT r.id FROM reports r JOIN cases c ON c.id = r.case_id
          WHERE (r.description_sealed IS NOT NULL OR r.contact_sealed IS NOT NULL OR r.answer_sealed IS NOT NULL AND c.status = 'withdrawn')
            AND (r.created_at < $1 OR c.status = 'withdrawn' OR r.status <> 'open')
          ORDER BY r.id`,
        [createdBefore],
      );
      return rows.map((row) => row.id);
    },
    async openReports() {
      const { rows } = await pool.query<ReportRow>(
        `${REPORT_SELECT} WHERE r.status = 'open' AND EXISTS
           (SELECT 1 FROM report_links l WHERE l.report_id = r.id AND l.status IN ${OPEN_LINK_STATUSES})
          ORDER BY r.id`,
      );
      return rows.map(toReport);
    },
    async listReports(options = {}) {
      const params: (string | number)[] = [];
      if (options.status) params.push(options.status);
      params.push(options.limit ?? 200);
      const { rows } = await pool.query<ReportRow>(
        `${REPORT_SELECT} ${options.status ? 'WHERE r.status = $1' : ''} ORDER BY r.id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toReport);
    },
    async linksOfReports(reportIds) {
      if (reportIds.length === 0) return [];
      const { rows } = await pool.query<LinkRow>('SELECT * FROM report_links WHERE report_id = ANY($1::bigint[]) ORDER BY id', [
        [...reportIds],
      ]);
      return rows.map(toLink);
    },

    async createNotice(input) {
      return inTransaction(pool, async (client) => {
        const at = iso();
        const sentAt = input.channel === 'platform' ? at : null;
        const { rows } = await client.query<{ id: number }>(
          `INSERT INTO notices (ref, report_id, channel, platform_id, recipient, category, explanation, language, created_at, created_by, deadline_at, sent_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [
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
          ],
        );
        const id = rows[0]!.id;
        for (const linkId of input.linkIds) {
          const { rows: link } = await client.query<{ report_id: number }>('SELECT report_id FROM report_links WHERE id = $1 FOR UPDATE', [linkId]);
          if (link.length === 0 || link[0]!.report_id !== input.reportId) {
            throw new RempartError('BAD_REQUEST', `link ${linkId} is not a link of this report`);
          }
          await client.query('INSERT INTO notice_links (notice_id, link_id) VALUES ($1, $2)', [id, linkId]);
          await moveLink(client, linkId, 'notice_sent', null, at);
          await event(client, linkId, 'notice_sent', input.actor, at, input.channel === 'email' ? `email to ${input.recipient}` : null, input.ref);
        }
        await touchReport(client, input.reportId, at);
        return noticeById(client, id);
      });
    },
    async markNoticeSent(noticeId, result) {
      await pool.query('UPDATE notices SET sent_at = $1, send_error = $2 WHERE id = $3', [result.sentAt, result.error, noticeId]);
    },
    async getNotice(ref) {
      const { rows } = await pool.query<NoticeRow>('SELECT * FROM notices WHERE ref = $1', [ref]);
      return (await noticesWithLinks(pool, rows))[0];
    },
    async listNotices(options = {}) {
      const params: (string | number)[] = [options.afterId ?? 0];
      const where: string[] = ['id > $1'];
      if (options.platformId !== undefined) {
        params.push(options.platformId);
        where.push(`platform_id = $${params.length}`);
      }
      if (options.reportId !== undefined) {
        params.push(options.reportId);
        where.push(`report_id = $${params.length}`);
      }
      if (options.open === true) where.push('closed_at IS NULL');
      if (options.open === false) where.push('closed_at IS NOT NULL');
      params.push(options.limit ?? 500);
      const { rows } = await pool.query<NoticeRow>(
        `SELECT * FROM notices WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
        params,
      );
      return noticesWithLinks(pool, rows);
    },
    async answerNotice(noticeId, linkId, answer) {
      return inTransaction(pool, async (client) => {
        // The notice row first: two answers to the last two links of a notice, on two
        // replicas, must not both see the other one still open (the notice would never close).
        const { rows } = await client.query<{ ref: string }>('SELECT ref FROM notices WHERE id = $1 FOR UPDATE', [noticeId]);
        if (rows.length === 0) throw new RempartError('NOT_FOUND', `no notice with id ${noticeId}`);
        const ref = rows[0]!.ref;
        const by = `${answer.actor.kind}:${answer.actor.id}`;
        const updated = await client.query(
          'UPDATE notice_links SET outcome = $1, reason = $2, answered_at = $3, answered_by = $4 WHERE notice_id = $5 AND link_id = $6',
          [answer.outcome, answer.reason, answer.at, by, noticeId, linkId],
        );
        if (updated.rowCount === 0) throw new RempartError('BAD_REQUEST', `link ${linkId} is not part of notice ${ref}`);
        await moveLink(client, linkId, answer.outcome, answer.reason, answer.at);
        await event(client, linkId, answer.outcome, answer.actor, answer.at, answer.reason, ref);
        const { rows: link } = await client.query<{ report_id: number }>('SELECT report_id FROM report_links WHERE id = $1', [linkId]);
        await touchReport(client, link[0]!.report_id, answer.at);
        await client.query(
          `UPDATE notices SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM notice_links WHERE notice_id = $2 AND outcome IS NULL)`,
          [answer.at, noticeId],
        );
        return noticeById(client, noticeId);
      });
    },
    async reportingRows(from, to) {
      const [reports, links, notices, removals] = await Promise.all([
        pool.query<{ created_at: Date; age_bracket: ReportRecord['ageBracket'] }>(
          'SELECT created_at, age_bracket FROM reports WHERE created_at >= $1 AND created_at < $2',
          [from, to],
        ),
        pool.query<{ created_at: Date; removed_at: Date | null; platform_id: number | null; status: LinkStatus }>(
          'SELECT created_at, removed_at, platform_id, status FROM report_links WHERE created_at >= $1 AND created_at < $2',
          [from, to],
        ),
        pool.query<{ created_at: Date; channel: NoticeRecord['channel']; platform_id: number | null; category: NoticeRecord['category'] }>(
          'SELECT created_at, channel, platform_id, category FROM notices WHERE created_at >= $1 AND created_at < $2',
          [from, to],
        ),
        pool.query<{ removed_at: Date; created_at: Date; first_notice_at: Date | null; platform_id: number | null }>(
          `SELECT l.removed_at, l.created_at, l.platform_id,
                  (SELECT min(n.created_at) FROM notice_links nl JOIN notices n ON n.id = nl.notice_id WHERE nl.link_id = l.id) AS first_notice_at
             FROM report_links l WHERE l.removed_at >= $1 AND l.removed_at < $2`,
          [from, to],
        ),
      ]);
      return rowMappers.reporting({ reports: reports.rows, links: links.rows, notices: notices.rows, removals: removals.rows });
    },

    async getPlatformNoticeSettings(platformId) {
      const { rows } = await pool.query<SettingsRow>('SELECT * FROM platform_notice_settings WHERE platform_id = $1', [platformId]);
      return rows[0] ? toSettings(rows[0]) : { platformId, domains: [], noticeEmail: null, deadlineHours: null };
    },
    async listPlatformNoticeSettings() {
      const { rows } = await pool.query<SettingsRow>('SELECT * FROM platform_notice_settings ORDER BY platform_id');
      return rows.map(toSettings);
    },
    async setPlatformNoticeSettings(settings) {
      await pool.query(
        `INSERT INTO platform_notice_settings (platform_id, domains, notice_email, deadline_hours) VALUES ($1, $2, $3, $4)
         ON CONFLICT (platform_id) DO UPDATE SET domains = excluded.domains, notice_email = excluded.notice_email, deadline_hours = excluded.deadline_hours`,
        [settings.platformId, JSON.stringify(settings.domains), settings.noticeEmail, settings.deadlineHours],
      );
    },

    async listTemplates() {
      const { rows } = await pool.query<TemplateRow>('SELECT * FROM answer_templates ORDER BY key, language');
      return rows.map(rowMappers.template);
    },
    async saveTemplate(t) {
      await pool.query(
        `INSERT INTO answer_templates (key, language, title, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (key, language) DO UPDATE SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [t.key, t.language, t.title, t.body, t.updatedAt, t.updatedBy],
      );
    },

    async createOperator(input) {
      try {
        const { rows } = await pool.query<OperatorRow>(
          'INSERT INTO operators (name, password_hash, totp_sealed, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
          [input.name, input.passwordHash, input.totpSealed, input.at],
        );
        return toOperator(rows[0]!);
      } catch (error) {
        if (isUniqueViolation(error, 'operators_name_key')) {
          throw new RempartError('CONFLICT', `an operator named "${input.name}" already exists`);
        }
        throw error;
      }
    },
    async getOperatorByName(name) {
      const { rows } = await pool.query<OperatorRow>('SELECT * FROM operators WHERE name = $1', [name]);
      return rows[0] && toOperator(rows[0]);
    },
    async getOperatorById(id) {
      const { rows } = await pool.query<OperatorRow>('SELECT * FROM operators WHERE id = $1', [id]);
      return rows[0] && toOperator(rows[0]);
    },
    async listOperators() {
      const { rows } = await pool.query<OperatorRow>('SELECT * FROM operators ORDER BY id');
      return rows.map(toOperator);
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
      await pool.query(
        `UPDATE operators SET ${entries.map(([key], i) => `${columns[key]} = $${i + 1}`).join(', ')} WHERE id = $${entries.length + 1}`,
        [...entries.map(([, value]) => value as string | number | null), id],
      );
    },
    async acceptTotpStep(operatorId, step) {
      const result = await pool.query(
        'UPDATE operators SET totp_last_step = $1, failed_logins = 0, locked_until = NULL WHERE id = $2 AND totp_last_step < $1',
        [step, operatorId],
      );
      return (result.rowCount ?? 0) > 0;
    },
    async recordLoginFailure(operatorId, maxFailures, lockUntil) {
      // Row-locking UPDATE: concurrent failures queue on the row and each sees the last count.
      await pool.query(
        `UPDATE operators SET failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END,
                locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END
          WHERE id = $3`,
        [maxFailures, lockUntil, operatorId],
      );
    },
    async createSession(s) {
      await pool.query(
        'INSERT INTO operator_sessions (token_hash, operator_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [s.tokenHash, s.operatorId, s.csrfToken, s.createdAt, s.lastSeenAt, s.expiresAt],
      );
    },
    async getSession(tokenHash) {
      const { rows } = await pool.query<SessionRow>('SELECT * FROM operator_sessions WHERE token_hash = $1', [tokenHash]);
      return rows[0] && rowMappers.session(rows[0]);
    },
    async touchSession(tokenHash, lastSeenAt) {
      await pool.query('UPDATE operator_sessions SET last_seen_at = $1 WHERE token_hash = $2', [lastSeenAt, tokenHash]);
    },
    async deleteSession(tokenHash) {
      await pool.query('DELETE FROM operator_sessions WHERE token_hash = $1', [tokenHash]);
    },
    async deleteOperatorSessions(operatorId) {
      await pool.query('DELETE FROM operator_sessions WHERE operator_id = $1', [operatorId]);
    },
    async deleteExpiredSessions(at, idleBefore) {
      const result = await pool.query('DELETE FROM operator_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [at, idleBefore]);
      return result.rowCount ?? 0;
    },
  };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e.code === UNIQUE_VIOLATION && e.constraint === constraint;
}

