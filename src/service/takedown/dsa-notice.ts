/**
 * The text of an email notice, with what Article 16(2) of the Digital Services Act
 * (Regulation (EU) 2022/2065) requires of a notice: (a) why the content is illegal,
 * (b) the exact URLs, (c) the notifier's name and email, (d) a statement of good faith.
 * Nothing about the victim: no name, no contact, no description.
 */
import type { Language, NoticeCategory } from '../../store/takedown.js';

export interface NoticeText {
  subject: string;
  text: string;
}

export interface NoticeFacts {
  ref: string;
  category: NoticeCategory;
  language: Language;
  urls: string[];
  explanation: string;
  notifier: { name: string; email: string };
  createdAt: string;
  deadlineAt: string;
}

const LEGAL_GROUND: Record<NoticeCategory, Record<Language, string>> = {
  ncii: {
    fr: "Ces contenus sont des images ou vidéos intimes d'une personne, diffusées sans son consentement. Leur diffusion est une infraction (article 226-2-1 du Code pénal français ; article 5 de la directive (UE) 2024/1385 sur la lutte contre la violence à l'égard des femmes).",
    en: 'This content consists of intimate images or videos of a person, shared without her consent. Sharing them is a criminal offence (French Criminal Code, article 226-2-1; Directive (EU) 2024/1385 on combating violence against women, article 5).',
  },
  minor: {
    fr: "Ces contenus représentent une personne mineure dans un contexte sexuel. Ils sont illégaux (article 227-23 du Code pénal français ; directive 2011/93/UE, articles 3 à 7). Le signalement a été transmis aux autorités. Retirez-les immédiatement et conservez les éléments utiles à l'enquête.",
    en: 'This content depicts a minor in a sexual context. It is illegal (French Criminal Code, article 227-23; Directive 2011/93/EU, articles 3 to 7). The report has been passed on to the authorities. Remove it immediately and preserve what the investigation may need.',
  },
};

export function dsaNoticeText(facts: NoticeFacts): NoticeText {
  const fr = facts.language === 'fr';
  const urls = facts.urls.map((url, i) => `${i + 1}. ${url}`).join('\n');
  const ground = LEGAL_GROUND[facts.category][facts.language];
  const explanation = facts.explanation.trim();
  if (fr) {
    return {
      subject: `Notification de contenu illicite (article 16 du règlement (UE) 2022/2065) – réf. ${facts.ref}`,
      text: [
        'Madame, Monsieur,',
        '',
        `Nous vous notifions, au titre de l'article 16 du règlement (UE) 2022/2065 sur les services numériques, la présence sur votre service des contenus illicites suivants :`,
        '',
        urls,
        '',
        'Motifs :',
        ground,
        ...(explanation ? ['', explanation] : []),
        '',
        `Auteur de la notification : ${facts.notifier.name} <${facts.notifier.email}>`,
        '',
        "Nous déclarons de bonne foi que les informations et allégations contenues dans cette notification sont exactes et complètes.",
        '',
        `À compter de la réception de cette notification, vous avez connaissance de ces contenus illicites : votre responsabilité peut être engagée si vous n'agissez pas promptement pour les retirer (article 6 du règlement). Merci de nous répondre, lien par lien (retiré, ou refusé avec le motif), avant le ${facts.deadlineAt}, en rappelant la référence ${facts.ref}.`,
        '',
        facts.notifier.name,
        `Notification ${facts.ref}, envoyée le ${facts.createdAt}`,
      ].join('\n'),
    };
  }
  return {
    subject: `Notice of illegal content (Article 16 of Regulation (EU) 2022/2065) – ref. ${facts.ref}`,
    text: [
      'Dear Sir or Madam,',
      '',
      'Under Article 16 of Regulation (EU) 2022/2065 (Digital Services Act), we notify you of the following illegal content on your service:',
      '',
      urls,
      '',
      'Why this content is illegal:',
      ground,
      ...(explanation ? ['', explanation] : []),
      '',
      `Notifier: ${facts.notifier.name} <${facts.notifier.email}>`,
      '',
      'We confirm our bona fide belief that the information and allegations contained in this notice are accurate and complete.',
      '',
      `From the receipt of this notice you have actual knowledge of this illegal content: you may be held liable if you do not act expeditiously to remove it (Article 6 of the Regulation). Please answer link by link (removed, or refused with your reason) by ${facts.deadlineAt}, quoting reference ${facts.ref}.`,
      '',
      facts.notifier.name,
      `Notice ${facts.ref}, sent ${facts.createdAt}`,
    ].join('\n'),
  };
}
