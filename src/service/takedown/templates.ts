/**
 * The hotline's answers to victims: default texts in French and English (operators edit
 * them in the console; an edited version is stored and wins), and their rendering with the
 * report's facts. Each names her rights and the services she can turn to.
 */
import { RempartError } from '../../errors.js';
import type { AnswerTemplate, Language, TemplateStore } from '../../store/takedown.js';
import type { Actor } from '../../store/types.js';

export const TEMPLATE_KEYS = ['received', 'notices_sent', 'removed', 'refused', 'not_actionable', 'minor'] as const;
export type TemplateKey = (typeof TEMPLATE_KEYS)[number];

/** What a template may use, as {{name}}. */
export const TEMPLATE_VARIABLES = ['caseNumber', 'linkCount', 'removedCount', 'links', 'hotline'] as const;

const RIGHTS_FR = `Vos droits :
- Diffuser sans votre accord une image ou une vidéo à caractère sexuel vous concernant est un délit, même si vous aviez accepté qu'elle soit prise (article 226-2-1 du Code pénal : deux ans d'emprisonnement et 60 000 € d'amende). Si vous aviez moins de 18 ans, c'est plus grave encore (article 227-23).
- Vous pouvez porter plainte au commissariat, à la gendarmerie ou par courrier au procureur de la République. Gardez une trace des adresses (URL) et des dates ; ne partagez pas les images.
- Vous pouvez demander à tout site et à tout moteur de recherche l'effacement et le déréférencement de ces contenus (article 17 du RGPD) ; en cas de refus, saisissez la CNIL (cnil.fr).

Vous n'êtes pas seule :
- 3018 : numéro national contre les violences numériques, gratuit et anonyme (appel, chat, application).
- France Victimes : 116 006, gratuit, 7 jours sur 7, pour être accompagnée dans vos démarches.
- 3919 Violences Femmes Info, gratuit et anonyme, 24 h sur 24.
- En danger immédiat : 17 ou 112 ; par SMS : 114.`;

const RIGHTS_EN = `Your rights:
- Sharing a sexual image or video of you without your consent is a criminal offence in France, even if you agreed to it being taken (Criminal Code, article 226-2-1: up to two years in prison and a €60,000 fine). If you were under 18, the offence is more serious still (article 227-23).
- You can file a complaint with the police or gendarmerie, or by letter to the public prosecutor. Keep a note of the addresses (URLs) and dates; do not share the images.
- You can ask any website and any search engine to erase and delist this content (GDPR, article 17); if they refuse, complain to the CNIL (cnil.fr) or to your own country's data protection authority.

You are not alone:
- 3018: France's national helpline against online violence, free and anonymous (phone, chat, app).
- France Victimes: 116 006, free, 7 days a week, to help you through every step.
- 3919 Violences Femmes Info, free and anonymous, 24 hours a day.
- In immediate danger: 17 or 112; by text message: 114.`;

type Defaults = Record<TemplateKey, Record<Language, { title: string; body: string }>>;

export const DEFAULT_TEMPLATES: Defaults = {
  received: {
    fr: {
      title: 'Accusé de réception',
      body: `Bonjour,\n\nNous avons bien reçu votre signalement (dossier {{caseNumber}}) : {{linkCount}} lien(s). Nos analystes vont examiner chaque lien et demander leur retrait aux sites concernés. Vous pouvez suivre l'avancement à tout moment avec votre numéro de dossier et votre code secret.\n\n${RIGHTS_FR}\n\n{{hotline}}`,
    },
    en: {
      title: 'Acknowledgement',
      body: `Hello,\n\nWe have received your report (case {{caseNumber}}): {{linkCount}} link(s). Our analysts will check each link and ask the sites concerned to remove the content. You can follow progress at any time with your case number and secret code.\n\n${RIGHTS_EN}\n\n{{hotline}}`,
    },
  },
  notices_sent: {
    fr: {
      title: 'Demandes de retrait envoyées',
      body: `Bonjour,\n\nNous avons examiné votre signalement (dossier {{caseNumber}}) et envoyé une demande de retrait pour chaque lien concerné :\n{{links}}\n\nLes plateformes doivent agir rapidement ; nous suivons leurs réponses et vous tiendrons informée ici.\n\n${RIGHTS_FR}\n\n{{hotline}}`,
    },
    en: {
      title: 'Removal requests sent',
      body: `Hello,\n\nWe have reviewed your report (case {{caseNumber}}) and sent a removal request for each link concerned:\n{{links}}\n\nPlatforms must act quickly; we follow their answers and will keep you informed here.\n\n${RIGHTS_EN}\n\n{{hotline}}`,
    },
  },
  removed: {
    fr: {
      title: 'Contenus retirés',
      body: `Bonjour,\n\nBonne nouvelle : {{removedCount}} lien(s) sur {{linkCount}} ont été retirés (dossier {{caseNumber}}) :\n{{links}}\n\nLes empreintes de vos images restent actives : les plateformes partenaires bloquent les nouvelles publications. Si vous retrouvez ces contenus ailleurs, signalez les nouveaux liens avec votre numéro de dossier.\n\n${RIGHTS_FR}\n\n{{hotline}}`,
    },
    en: {
      title: 'Content removed',
      body: `Hello,\n\nGood news: {{removedCount}} of {{linkCount}} link(s) have been removed (case {{caseNumber}}):\n{{links}}\n\nYour images' fingerprints stay active: partner platforms block new uploads. If you find the content elsewhere, report the new links with your case number.\n\n${RIGHTS_EN}\n\n{{hotline}}`,
    },
  },
  refused: {
    fr: {
      title: 'Retrait refusé',
      body: `Bonjour,\n\nCertains sites ont refusé de retirer les contenus signalés (dossier {{caseNumber}}) :\n{{links}}\n\nNous pouvons relancer le site ou saisir les autorités. Porter plainte renforce ces démarches : un dépôt de plainte permet à la justice d'ordonner le retrait.\n\n${RIGHTS_FR}\n\n{{hotline}}`,
    },
    en: {
      title: 'Removal refused',
      body: `Hello,\n\nSome sites refused to remove the reported content (case {{caseNumber}}):\n{{links}}\n\nWe can follow up with the site or refer it to the authorities. Filing a complaint strengthens these steps: a court can order the removal.\n\n${RIGHTS_EN}\n\n{{hotline}}`,
    },
  },
  not_actionable: {
    fr: {
      title: 'Liens introuvables',
      body: `Bonjour,\n\nNous n'avons pas pu agir sur certains liens de votre signalement (dossier {{caseNumber}}) :\n{{links}}\n\nLe contenu a peut-être déjà été retiré, ou le lien est incomplet. Si vous le retrouvez, ajoutez le lien exact (l'adresse affichée dans votre navigateur) à votre dossier.\n\n${RIGHTS_FR}\n\n{{hotline}}`,
    },
    en: {
      title: 'Links not found',
      body: `Hello,\n\nWe could not act on some links of your report (case {{caseNumber}}):\n{{links}}\n\nThe content may already have been removed, or the link may be incomplete. If you find it again, add the exact link (the address shown in your browser) to your case.\n\n${RIGHTS_EN}\n\n{{hotline}}`,
    },
  },
  minor: {
    fr: {
      title: 'Signalement concernant une personne mineure',
      body: `Bonjour,\n\nVotre signalement (dossier {{caseNumber}}) concerne une personne mineure. Ces contenus sont illégaux partout et relèvent d'une procédure particulière : nous les avons transmis aux autorités compétentes et demandé leur retrait immédiat.\n\nSi vous avez moins de 18 ans, vous pouvez en parler à un adulte de confiance et appeler le 3018 (gratuit, anonyme) ou le 119 (Allô Enfance en Danger, 24 h sur 24).\n\n${RIGHTS_FR}\n\n{{hotline}}`,
    },
    en: {
      title: 'Report concerning a minor',
      body: `Hello,\n\nYour report (case {{caseNumber}}) concerns a minor. Such content is illegal everywhere and follows a special procedure: we have passed it on to the competent authorities and asked for its immediate removal.\n\nIf you are under 18, you can talk to an adult you trust and call 3018 (free, anonymous) or 119 (child protection helpline, 24 hours a day).\n\n${RIGHTS_EN}\n\n{{hotline}}`,
    },
  },
};

export interface TemplateView extends Omit<AnswerTemplate, 'updatedAt' | 'updatedBy'> {
  key: TemplateKey;
  edited: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

export class TemplateService {
  constructor(
    private readonly store: TemplateStore,
    private readonly audit: { audit(actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null): Promise<void> },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<TemplateView[]> {
    const edited = new Map((await this.store.listTemplates()).map((t) => [`${t.key}:${t.language}`, t]));
    return TEMPLATE_KEYS.flatMap((key) =>
      (['fr', 'en'] as const).map((language) => {
        const stored = edited.get(`${key}:${language}`);
        const fallback = DEFAULT_TEMPLATES[key][language];
        return {
          key,
          language,
          title: stored?.title ?? fallback.title,
          body: stored?.body ?? fallback.body,
          edited: stored !== undefined,
          updatedAt: stored?.updatedAt ?? null,
          updatedBy: stored?.updatedBy ?? null,
        };
      }),
    );
  }

  async get(key: string, language: Language): Promise<TemplateView> {
    const found = (await this.list()).find((t) => t.key === key && t.language === language);
    if (!found) throw new RempartError('NOT_FOUND', `no answer template "${key}" (${TEMPLATE_KEYS.join(', ')})`);
    return found;
  }

  async save(key: string, language: Language, input: { title: string; body: string }, actor: Actor): Promise<TemplateView> {
    if (!(TEMPLATE_KEYS as readonly string[]).includes(key)) {
      throw new RempartError('NOT_FOUND', `no answer template "${key}" (${TEMPLATE_KEYS.join(', ')})`);
    }
    const title = input.title.trim();
    const body = input.body.replace(/\r\n/g, '\n').trim();
    if (title === '' || title.length > 200) throw new RempartError('BAD_REQUEST', 'title must be 1 to 200 characters');
    if (body === '' || body.length > 20_000) throw new RempartError('BAD_REQUEST', 'body must be 1 to 20,000 characters');
    const unknown = [...body.matchAll(/\{\{\s*(\w+)\s*\}\}/g)]
      .map((m) => m[1]!)
      .filter((name) => !(TEMPLATE_VARIABLES as readonly string[]).includes(name));
    if (unknown.length > 0) {
      throw new RempartError('BAD_REQUEST', `unknown variable {{${unknown[0]}}}; available: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);
    }
    await this.store.saveTemplate({ key, language, title, body, updatedAt: this.now().toISOString(), updatedBy: actor.id });
    await this.audit.audit(actor, 'template.save', `${key}:${language}`, null);
    return this.get(key, language);
  }
}

/** Replaces {{variable}} with its value (unknown names are left as they are). */
export function renderTemplate(body: string, values: Partial<Record<(typeof TEMPLATE_VARIABLES)[number], string>>): string {
  return body.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name as keyof typeof values] ?? whole);
}
