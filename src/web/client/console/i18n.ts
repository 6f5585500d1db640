/**
 * The console's texts in French and English. French for a French hotline's analysts, by
 * default when the browser prefers it; the switch in the header (remembered locally)
 * changes it. Messages from the server (errors) stay as the API writes them.
 */

export type ConsoleLanguage = 'fr' | 'en';
const STORAGE_KEY = 'rempart-console-language';

const en = {
  languageName: 'English',
  languageSwitch: 'Language',
  consoleTitle: 'Rempart — analysts’ console',
  name: 'Name',
  password: 'Password',
  code: 'Authenticator code',
  logIn: 'Log in',
  logOut: 'Log out',
  loggedOut: 'You are logged out.',
  sessionEnded: 'Your session has ended: log in again.',
  skipToContent: 'Skip to content',
  navLabel: 'Console',
  routes: { queue: 'Queue', notices: 'Notices', platforms: 'Platforms', templates: 'Answer templates', stats: 'Figures' },
  somethingWrong: 'Something went wrong',
  status: {
    received: 'Received',
    under_review: 'Under review',
    checked: 'Checked: illegal',
    not_found: 'Not found',
    not_illegal: 'Not illegal',
    notice_sent: 'Notice sent',
    removed: 'Removed',
    refused: 'Refused',
    withdrawn: 'Withdrawn by the victim',
  } as Record<string, string>,
  minor: 'Minor',
  minorReferred: 'Minor (referred)',
  overdue: 'Overdue',
  overdueCount: (n: number) => `${n} overdue`,
  saved: 'Saved.',
  // Queue
  queueIntro: 'Reports concerning minors first, then the longest waiting. Open a case to check its links.',
  queueEmpty: 'Nothing to do: every report is handled.',
  queueCaption: (n: number) => `${n} report(s) waiting`,
  queueColumns: ['Case', 'Reported', 'Waiting since', 'Links', 'To check or send', 'Awaiting answer', 'Removed', 'Notices'],
  // Notices
  openNotices: 'Open notices',
  noneOverdue: 'None overdue.',
  noOpenNotice: 'No open notice.',
  noticeColumns: ['Notice', 'To', 'Kind', 'Sent', 'Deadline', 'Links answered'],
  viaApi: (platform: string | null) => `${platform} (API)`,
  viaEmail: (recipient: string | null) => `${recipient} (email)`,
  sendFailed: (error: string) => `failed: ${error}`,
  notSentYet: 'not sent yet',
  answeredOf: (answered: number, total: number) => `${answered} of ${total}`,
  // Platforms
  domains: 'Domains (one per line)',
  noticeEmail: 'Notice email (optional)',
  deadlineHours: 'Deadline to answer, hours (empty: default)',
  savePlatform: (name: string) => `Save ${name}`,
  revoked: ' (revoked)',
  webhookAt: (url: string) => `Webhook: ${url}`,
  noWebhook: 'No webhook: notices by API polling only.',
  platformsIntro: 'Links on these domains (and their subdomains) go to the platform by API. Platforms and keys are created with `rempart platform add`.',
  noPlatform: 'No platform yet.',
  // Templates
  title: 'Title',
  text: 'Text',
  editedBy: (by: string | null, at: string | null) => `Edited by ${by} on ${at}`,
  defaultText: 'Default text',
  variables: 'Variables: {{caseNumber}}, {{linkCount}}, {{removedCount}}, {{links}}, {{hotline}}',
  saveTemplate: (key: string, language: string) => `Save ${key} (${language})`,
  templatesIntro: 'The answers victims read on their page. Each names her rights and the support services.',
  // Figures
  from: 'From',
  toInclusive: 'To (inclusive)',
  per: 'Per',
  periods: { day: 'day', week: 'week', month: 'month' },
  downloadCsv: 'Download CSV',
  show: 'Show',
  perPeriod: 'Per period',
  perPeriodColumns: ['Period', 'Reports', 'Minors', 'Links', 'Notices', 'By email', 'Removals', 'Refusals'],
  perPlatform: 'Per platform',
  perPlatformColumns: ['Platform', 'Notices', 'Removals', 'Median hours, notice → removal', 'Median hours, report → removal'],
  // A report
  templates: [
    ['received', 'Acknowledgement'],
    ['notices_sent', 'Removal requests sent'],
    ['removed', 'Content removed'],
    ['refused', 'Removal refused'],
    ['not_actionable', 'Links not found'],
    ['minor', 'Minor'],
  ] as ReadonlyArray<readonly [string, string]>,
  caseHeading: (number: string) => `Case ${number}`,
  reportLine: (ref: string, received: string, status: string, language: string, caseStatus: string) =>
    `Report ${ref} · received ${received} · ${status} · victim's language ${language} · case ${caseStatus}`,
  reportStatus: { open: 'open', closed: 'closed', withdrawn: 'withdrawn' } as Record<string, string>,
  caseStatus: { active: 'active', withdrawn: 'withdrawn', unknown: 'unknown' } as Record<string, string>,
  personalHeading: 'What the victim told us',
  personalErased: (at: string) => `Personal data erased on ${at}.`,
  personalWarning: 'Personal data: never copy it elsewhere. It is erased when the report is closed or the case withdrawn.',
  description: 'Description',
  contact: 'Contact',
  noneGiven: '(none given)',
  linksCaption: 'Tick checked links to send them a notice.',
  linkColumns: ['Select', 'Link', 'Platform', 'Status', 'Actions'],
  linksHeading: (n: number) => `Links (${n})`,
  noticesHeading: 'Notices',
  noNotice: 'No notice yet.',
  closeHeading: 'Close the report',
  closeExplanation: 'Closing erases the description and contact now. The answer stays readable by the victim.',
  closed: 'Report closed; personal data erased.',
  // Copies found by platforms
  detectionHeading: 'Copies found by platforms',
  noneBlocking: 'No platform has reported blocking a copy yet.',
  blocking: (n: number) => `${n} platform${n === 1 ? ' has' : 's have'} blocked copies matching this case's hashes.`,
  matchesInAll: (n: number) => ` ${n} match(es) in all.`,
  feedbackColumns: ['Platform', 'Image or video', 'What it did', 'Tags', 'Last said'],
  feedback: {
    Blocked: 'Blocked',
    NotBlocked: 'Not blocked (says it does not match)',
    PendingReview: 'In review',
    None: 'No action',
    Unknown: 'Unknown',
    QualityUnknown: 'Quality unknown',
    Withdrawn: 'Withdrawn',
    Deleted: 'Deleted',
  } as Record<string, string>,
  // A link
  selectLink: (url: string) => `Select ${url}`,
  noteFor: (host: string) => `Note for ${host} (shown to the victim when not actionable)`,
  notePlaceholder: 'Note (optional)',
  linkSet: (host: string, label: string) => `${host}: ${label.toLowerCase()}.`,
  history: (n: number) => `History (${n})`,
  historyEntry: (at: string, status: string, who: string, note: string, notice: string) => `${at} — ${status} by ${who}${note ? `: ${note}` : ''}${notice ? ` (${notice})` : ''}`,
  linkDetails: (host: string, hint: string | null, at: string) => `host ${host}${hint ? ` · victim says: ${hint}` : ''} · reported ${at}`,
  notRegistered: 'not registered (email)',
  waitingForAnswer: 'Waiting for the answer',
  // Sending a notice
  recipient: 'Recipient (the site’s notice or abuse address)',
  noticeLanguage: 'Notice language',
  whyIllegal: 'Why it is illegal (added to the legal ground)',
  sendNotice: 'Send notice',
  noticeSent: 'Notice sent.',
  sendNoticeLegend: 'Send a notice for the selected links',
  minorFirst: 'Minor: record the referral to the authorities first (above).',
  toPlatform: ' To the registered platform (API and webhook)',
  byEmail: ' By email (DSA Article 16 notice)',
  // A notice
  outcomeFor: (url: string) => `Outcome for ${url}`,
  reasonFor: (url: string) => `Reason for ${url}`,
  noAnswerYet: 'no answer yet',
  recordOutcome: 'Record outcome',
  outcomeRecorded: 'Outcome recorded.',
  emailText: 'Email text',
  subject: 'Subject',
  noticeTo: (ref: string, channel: string, platform: string | null, recipient: string | null) =>
    `${ref} — ${channel === 'platform' ? `${platform} (API)` : `email to ${recipient}`}`,
  noticeLine: (created: string, by: string, sent: string, due: string, answered: string | null) =>
    `Created ${created} by ${by} · ${sent} · answer due ${due}${answered ? ` · answered ${answered}` : ''}`,
  sentAt: (at: string) => `sent ${at}`,
  sendingFailed: (error: string) => `sending failed: ${error}`,
  sendAgain: 'Send again',
  sentAgain: 'Sent again.',
  markSent: 'Mark as sent by hand',
  markedSent: 'Marked as sent.',
  // Minors
  authoritiesRef: 'Authorities’ reference (e.g. PHAROS number)',
  minorHeading: 'Minor: separate legal path',
  minorExplanation:
    'Pass this report on to the authorities (export below), record the referral, and only then send notices: they go out as notices about a minor, with a short deadline.',
  exportForAuthorities: 'Export for the authorities (JSON)',
  referredOn: (at: string, by: string | null, ref: string | null) => `Referred on ${at} by ${by}${ref ? ` (ref. ${ref})` : ''}.`,
  recordReferral: 'Record the referral',
  referralRecorded: 'Referral recorded: notices can be sent.',
  // The answer
  template: 'Template',
  language: 'Language',
  answerText: 'Answer to the victim (she reads it on her page)',
  fillFromTemplate: 'Fill from the template',
  saveAnswer: 'Save the answer',
  answerSaved: 'Answer saved: the victim sees it on her page.',
  answerHeading: 'Answer to the victim',
  lastSaved: (at: string, by: string | null) => `Last saved ${at} by ${by}.`,
  noAnswer: 'No answer yet.',
};

export type ConsoleTexts = typeof en;

const fr: ConsoleTexts = {
  languageName: 'Français',
  languageSwitch: 'Langue',
  consoleTitle: 'Rempart — console des analystes',
  name: 'Nom',
  password: 'Mot de passe',
  code: 'Code de l’application d’authentification',
  logIn: 'Se connecter',
  logOut: 'Se déconnecter',
  loggedOut: 'Vous êtes déconnecté·e.',
  sessionEnded: 'Votre session a pris fin : reconnectez-vous.',
  skipToContent: 'Aller au contenu',
  navLabel: 'Console',
  routes: { queue: 'File d’attente', notices: 'Notifications', platforms: 'Plateformes', templates: 'Modèles de réponse', stats: 'Chiffres' },
  somethingWrong: 'Une erreur est survenue',
  status: {
    received: 'Reçu',
    under_review: 'En cours d’examen',
    checked: 'Vérifié : illicite',
    not_found: 'Introuvable',
    not_illegal: 'Pas illicite',
    notice_sent: 'Notification envoyée',
    removed: 'Retiré',
    refused: 'Refusé',
    withdrawn: 'Retiré par la victime',
  },
  minor: 'Mineur·e',
  minorReferred: 'Mineur·e (signalé)',
  overdue: 'En retard',
  overdueCount: (n) => `${n} en retard`,
  saved: 'Enregistré.',
  queueIntro: 'Les signalements concernant des mineur·es d’abord, puis ceux qui attendent depuis le plus longtemps. Ouvrez un dossier pour vérifier ses liens.',
  queueEmpty: 'Rien à faire : tous les signalements sont traités.',
  queueCaption: (n) => `${n} signalement(s) en attente`,
  queueColumns: ['Dossier', 'Signalé le', 'En attente depuis', 'Liens', 'À vérifier ou notifier', 'Réponse attendue', 'Retirés', 'Notifications'],
  openNotices: 'Notifications en cours',
  noneOverdue: 'Aucune en retard.',
  noOpenNotice: 'Aucune notification en cours.',
  noticeColumns: ['Notification', 'Destinataire', 'Type', 'Envoyée', 'Échéance', 'Liens traités'],
  viaApi: (platform) => `${platform} (API)`,
  viaEmail: (recipient) => `${recipient} (e-mail)`,
  sendFailed: (error) => `échec : ${error}`,
  notSentYet: 'pas encore envoyée',
  answeredOf: (answered, total) => `${answered} sur ${total}`,
  domains: 'Domaines (un par ligne)',
  noticeEmail: 'E-mail pour les notifications (facultatif)',
  deadlineHours: 'Délai de réponse, en heures (vide : par défaut)',
  savePlatform: (name) => `Enregistrer ${name}`,
  revoked: ' (révoquée)',
  webhookAt: (url) => `Webhook : ${url}`,
  noWebhook: 'Pas de webhook : notifications par interrogation de l’API seulement.',
  platformsIntro:
    'Les liens sur ces domaines (et leurs sous-domaines) sont notifiés à la plateforme par l’API. Plateformes et clés se créent avec `rempart platform add`.',
  noPlatform: 'Aucune plateforme pour l’instant.',
  title: 'Titre',
  text: 'Texte',
  editedBy: (by, at) => `Modifié par ${by} le ${at}`,
  defaultText: 'Texte par défaut',
  variables: 'Variables : {{caseNumber}}, {{linkCount}}, {{removedCount}}, {{links}}, {{hotline}}',
  saveTemplate: (key, language) => `Enregistrer ${key} (${language})`,
  templatesIntro: 'Les réponses que les victimes lisent sur leur page. Chacune rappelle ses droits et les services d’aide.',
  from: 'Du',
  toInclusive: 'Au (inclus)',
  per: 'Par',
  periods: { day: 'jour', week: 'semaine', month: 'mois' },
  downloadCsv: 'Télécharger en CSV',
  show: 'Afficher',
  perPeriod: 'Par période',
  perPeriodColumns: ['Période', 'Signalements', 'Mineur·es', 'Liens', 'Notifications', 'Par e-mail', 'Retraits', 'Refus'],
  perPlatform: 'Par plateforme',
  perPlatformColumns: ['Plateforme', 'Notifications', 'Retraits', 'Heures médianes, notification → retrait', 'Heures médianes, signalement → retrait'],
  templates: [
    ['received', 'Accusé de réception'],
    ['notices_sent', 'Demandes de retrait envoyées'],
    ['removed', 'Contenu retiré'],
    ['refused', 'Retrait refusé'],
    ['not_actionable', 'Liens introuvables'],
    ['minor', 'Mineur·e'],
  ],
  caseHeading: (number) => `Dossier ${number}`,
  reportLine: (ref, received, status, language, caseStatus) =>
    `Signalement ${ref} · reçu le ${received} · ${status} · langue de la victime ${language} · dossier ${caseStatus}`,
  reportStatus: { open: 'ouvert', closed: 'clos', withdrawn: 'retiré' },
  caseStatus: { active: 'actif', withdrawn: 'retiré', unknown: 'inconnu' },
  personalHeading: 'Ce que la victime nous a dit',
  personalErased: (at) => `Données personnelles effacées le ${at}.`,
  personalWarning: 'Données personnelles : ne les copiez jamais ailleurs. Elles sont effacées à la clôture du signalement ou au retrait du dossier.',
  description: 'Description',
  contact: 'Contact',
  noneGiven: '(non renseigné)',
  linksCaption: 'Cochez les liens vérifiés pour leur envoyer une notification.',
  linkColumns: ['Choisir', 'Lien', 'Plateforme', 'État', 'Actions'],
  linksHeading: (n) => `Liens (${n})`,
  noticesHeading: 'Notifications',
  noNotice: 'Aucune notification pour l’instant.',
  closeHeading: 'Clore le signalement',
  closeExplanation: 'La clôture efface tout de suite la description et le contact. La réponse reste lisible par la victime.',
  closed: 'Signalement clos ; données personnelles effacées.',
  detectionHeading: 'Copies trouvées par les plateformes',
  noneBlocking: 'Aucune plateforme n’a encore signalé avoir bloqué une copie.',
  blocking: (n) => `${n} plateforme${n === 1 ? ' a' : 's ont'} bloqué des copies correspondant aux empreintes de ce dossier.`,
  matchesInAll: (n) => ` ${n} correspondance(s) en tout.`,
  feedbackColumns: ['Plateforme', 'Image ou vidéo', 'Ce qu’elle a fait', 'Étiquettes', 'Dernière mise à jour'],
  feedback: {
    Blocked: 'Bloquée',
    NotBlocked: 'Non bloquée (ne correspond pas, selon elle)',
    PendingReview: 'En cours d’examen',
    None: 'Aucune action',
    Unknown: 'Inconnu',
    QualityUnknown: 'Qualité inconnue',
    Withdrawn: 'Retirée',
    Deleted: 'Supprimée',
  },
  selectLink: (url) => `Choisir ${url}`,
  noteFor: (host) => `Note pour ${host} (montrée à la victime si rien n’est possible)`,
  notePlaceholder: 'Note (facultative)',
  linkSet: (host, label) => `${host} : ${label.toLowerCase()}.`,
  history: (n) => `Historique (${n})`,
  historyEntry: (at, status, who, note, notice) => `${at} — ${status} par ${who}${note ? ` : ${note}` : ''}${notice ? ` (${notice})` : ''}`,
  linkDetails: (host, hint, at) => `hôte ${host}${hint ? ` · selon la victime : ${hint}` : ''} · signalé le ${at}`,
  notRegistered: 'non enregistrée (e-mail)',
  waitingForAnswer: 'Réponse attendue',
  recipient: 'Destinataire (adresse de notification ou d’abus du site)',
  noticeLanguage: 'Langue de la notification',
  whyIllegal: 'Pourquoi c’est illicite (ajouté au fondement juridique)',
  sendNotice: 'Envoyer la notification',
  noticeSent: 'Notification envoyée.',
  sendNoticeLegend: 'Envoyer une notification pour les liens cochés',
  minorFirst: 'Mineur·e : enregistrez d’abord le signalement aux autorités (ci-dessus).',
  toPlatform: ' À la plateforme enregistrée (API et webhook)',
  byEmail: ' Par e-mail (notification au titre de l’article 16 du DSA)',
  outcomeFor: (url) => `Résultat pour ${url}`,
  reasonFor: (url) => `Motif pour ${url}`,
  noAnswerYet: 'pas encore de réponse',
  recordOutcome: 'Enregistrer le résultat',
  outcomeRecorded: 'Résultat enregistré.',
  emailText: 'Texte de l’e-mail',
  subject: 'Objet',
  noticeTo: (ref, channel, platform, recipient) => `${ref} — ${channel === 'platform' ? `${platform} (API)` : `e-mail à ${recipient}`}`,
  noticeLine: (created, by, sent, due, answered) =>
    `Créée le ${created} par ${by} · ${sent} · réponse attendue le ${due}${answered ? ` · traitée le ${answered}` : ''}`,
  sentAt: (at) => `envoyée le ${at}`,
  sendingFailed: (error) => `échec de l’envoi : ${error}`,
  sendAgain: 'Renvoyer',
  sentAgain: 'Renvoyée.',
  markSent: 'Marquer comme envoyée à la main',
  markedSent: 'Marquée comme envoyée.',
  authoritiesRef: 'Référence des autorités (par ex. numéro PHAROS)',
  minorHeading: 'Mineur·e : procédure distincte',
  minorExplanation:
    'Transmettez ce signalement aux autorités (export ci-dessous), enregistrez-le, et seulement ensuite envoyez les notifications : elles partent comme notifications concernant un·e mineur·e, avec un délai court.',
  exportForAuthorities: 'Exporter pour les autorités (JSON)',
  referredOn: (at, by, ref) => `Transmis le ${at} par ${by}${ref ? ` (réf. ${ref})` : ''}.`,
  recordReferral: 'Enregistrer la transmission',
  referralRecorded: 'Transmission enregistrée : les notifications peuvent partir.',
  template: 'Modèle',
  language: 'Langue',
  answerText: 'Réponse à la victime (elle la lit sur sa page)',
  fillFromTemplate: 'Remplir depuis le modèle',
  saveAnswer: 'Enregistrer la réponse',
  answerSaved: 'Réponse enregistrée : la victime la voit sur sa page.',
  answerHeading: 'Réponse à la victime',
  lastSaved: (at, by) => `Enregistrée le ${at} par ${by}.`,
  noAnswer: 'Pas encore de réponse.',
};

const TEXTS: Record<ConsoleLanguage, ConsoleTexts> = { fr, en };
export const CONSOLE_LANGUAGES: readonly ConsoleLanguage[] = ['fr', 'en'];

function initialLanguage(): ConsoleLanguage {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'fr' || saved === 'en') return saved;
  } catch {
    // storage unavailable: fall back to the browser's preference
  }
  const preferred = (navigator.languages?.length ? navigator.languages : [navigator.language]).find((l) => /^(fr|en)\b/i.test(l));
  return preferred?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

let current: ConsoleLanguage = initialLanguage();
/** The texts in the current language (a live binding: views read it when they render). */
export let t: ConsoleTexts = TEXTS[current];

export function consoleLanguage(): ConsoleLanguage {
  return current;
}

export function setConsoleLanguage(language: ConsoleLanguage): void {
  current = language;
  t = TEXTS[language];
  document.documentElement.lang = language;
  document.title = t.consoleTitle;
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered: the choice holds for this page only
  }
}

export function textsOf(language: ConsoleLanguage): ConsoleTexts {
  return TEXTS[language];
}
