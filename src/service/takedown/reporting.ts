/**
 * The hotline's figures per period: reports (and minors' reports), links, notices,
 * removals, and per platform the median time from notice to removal (and from report to
 * removal). Shown in the console and exported as CSV.
 */
import { RempartError } from '../../errors.js';
import type { Store } from '../../store/types.js';

export type Period = 'day' | 'week' | 'month';

export interface PeriodRow {
  period: string;
  reports: number;
  minorReports: number;
  links: number;
  notices: number;
  emailNotices: number;
  removals: number;
  refusals: number;
}

export interface PlatformRow {
  platform: string;
  notices: number;
  removals: number;
  /** Median hours from the first notice on a link to its removal (null: no removal). */
  medianHoursNoticeToRemoval: number | null;
  /** Median hours from the victim's report of a link to its removal. */
  medianHoursReportToRemoval: number | null;
}

export interface Reporting {
  from: string;
  to: string;
  period: Period;
  periods: PeriodRow[];
  platforms: PlatformRow[];
}

const OTHER_SITES = '(other sites, by email)';

export class ReportingService {
  constructor(private readonly store: Pick<Store, 'reportingRows' | 'listPlatforms'>) {}

  async figures(input: { from: string; to: string; period: Period }): Promise<Reporting> {
    const from = parseDay(input.from, 'from');
    const to = parseDay(input.to, 'to');
    if (to < from) throw new RempartError('BAD_REQUEST', 'to must not be before from');
    if (!['day', 'week', 'month'].includes(input.period)) throw new RempartError('BAD_REQUEST', 'period must be day, week or month');
    const end = new Date(Date.parse(to) + 86_400_000).toISOString(); // `to` is inclusive
    const rows = await this.store.reportingRows(from, end);
    const names = new Map((await this.store.listPlatforms()).map((p) => [p.id, p.name]));

    const periods = new Map<string, PeriodRow>();
    const row = (at: string) => {
      const key = periodOf(at, input.period);
      let found = periods.get(key);
      if (!found) {
        found = { period: key, reports: 0, minorReports: 0, links: 0, notices: 0, emailNotices: 0, removals: 0, refusals: 0 };
        periods.set(key, found);
      }
      return found;
    };
    for (const report of rows.reports) {
      const r = row(report.createdAt);
      r.reports++;
      if (report.ageBracket === 'minor') r.minorReports++;
    }
    for (const link of rows.links) {
      row(link.createdAt).links++;
      if (link.status === 'refused') row(link.createdAt).refusals++;
    }
    for (const notice of rows.notices) {
      const r = row(notice.createdAt);
      r.notices++;
      if (notice.channel === 'email') r.emailNotices++;
    }
    for (const removal of rows.removals) row(removal.removedAt).removals++;

    const perPlatform = new Map<string, { notices: number; noticeToRemoval: number[]; reportToRemoval: number[] }>();
    const platformRow = (id: number | null) => {
      const name = id === null ? OTHER_SITES : (names.get(id) ?? String(id));
      let found = perPlatform.get(name);
      if (!found) {
        found = { notices: 0, noticeToRemoval: [], reportToRemoval: [] };
        perPlatform.set(name, found);
      }
      return found;
    };
    for (const notice of rows.notices) platformRow(notice.platformId).notices++;
    for (const removal of rows.removals) {
      const p = platformRow(removal.platformId);
      p.reportToRemoval.push(hoursBetween(removal.linkCreatedAt, removal.removedAt));
      if (removal.firstNoticeAt) p.noticeToRemoval.push(hoursBetween(removal.firstNoticeAt, removal.removedAt));
    }
    return {
      from,
      to,
      period: input.period,
      periods: [...periods.values()].sort((a, b) => a.period.localeCompare(b.period)),
      platforms: [...perPlatform.entries()]
        .map(([platform, p]) => ({
          platform,
          notices: p.notices,
          removals: p.reportToRemoval.length,
          medianHoursNoticeToRemoval: median(p.noticeToRemoval),
          medianHoursReportToRemoval: median(p.reportToRemoval),
        }))
        .sort((a, b) => a.platform.localeCompare(b.platform)),
    };
  }

  async csv(input: { from: string; to: string; period: Period }): Promise<string> {
    const figures = await this.figures(input);
    const lines = [
      'section,period,platform,reports,minor_reports,links,notices,email_notices,removals,refusals,median_hours_notice_to_removal,median_hours_report_to_removal',
      ...figures.periods.map((p) =>
        ['period', p.period, '', p.reports, p.minorReports, p.links, p.notices, p.emailNotices, p.removals, p.refusals, '', ''].join(','),
      ),
      ...figures.platforms.map((p) =>
        [
          'platform',
          `${figures.from}..${figures.to}`,
          csvField(p.platform),
          '',
          '',
          '',
          p.notices,
          '',
          p.removals,
          '',
          p.medianHoursNoticeToRemoval ?? '',
          p.medianHoursReportToRemoval ?? '',
        ].join(','),
      ),
    ];
    return `${lines.join('\n')}\n`;
  }
}

function parseDay(text: string, field: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new RempartError('BAD_REQUEST', `${field} must be a date YYYY-MM-DD, got "${text}"`);
  }
  return new Date(text).toISOString();
}

/** "2026-11-26" (day), "2026-W48" (ISO week), "2026-11" (month), in UTC. */
export function periodOf(at: string, period: Period): string {
  const date = new Date(at);
  if (period === 'day') return at.slice(0, 10);
  if (period === 'month') return at.slice(0, 7);
  // ISO 8601 week: the week's Thursday decides its year.
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const week = Math.ceil(((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86_400_000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function hoursBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 3_600_000;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(value * 100) / 100;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
