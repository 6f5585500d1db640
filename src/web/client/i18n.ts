/**
 * French and English texts. French first: the hotline is French. The language comes from
 * the browser's preferences unless the victim picks one with the switch (remembered locally).
 */

export type Language = 'fr' | 'en';
export const LANGUAGES: readonly Language[] = ['fr', 'en'];

const fr = {
  languageName: 'Français',
  skipToContent: 'Aller au contenu',
  title: 'Rempart — protéger vos images intimes',
  tagline: 'Empêchez la republication de vos images intimes, sans jamais les envoyer.',
  languageSwitch: 'Langue',
  navLabel: 'Navigation principale',
  navProtect: 'Protéger mes images',
  navStatus: 'Suivre ou retirer mon dossier',
  privacyHeading: 'Vos images ne quittent jamais cet appareil',
  privacyBody:
    'Cette page calcule sur votre appareil une empreinte numérique de chaque image : une suite de 64 caractères à partir de laquelle on ne peut pas reconstituer l’image. Seules ces empreintes sont envoyées à Rempart. Les plateformes partenaires comparent les images publiées à ces empreintes pour bloquer les republications.',
  pickHeading: '1. Choisissez vos images',
  pickLabel: 'Choisir des images',
  pickHint: 'Ou déposez-les ici. JPEG, PNG, WebP… Les aperçus restent sur votre appareil.',
  dropHere: 'Déposez les images ici',
  progress: (done: number, total: number) => `Analyse des images : ${done} sur ${total}`,
  progressDone: (total: number) => (total === 1 ? '1 image analysée.' : `${total} images analysées.`),
  listHeading: '2. Vérifiez les images choisies',
  emptyList: 'Aucune image choisie pour l’instant.',
  statusHashing: 'Analyse en cours…',
  statusReady: 'Prête : l’empreinte sera envoyée.',
  statusLowQuality: (quality: number, floor: number) =>
    `Qualité insuffisante (${quality}/100, minimum ${floor}) : cette image ne sera pas envoyée.`,
  lowQualityExplanation:
    'L’image est trop petite, trop floue ou trop uniforme pour être reconnue de façon fiable. Si vous en avez une version plus grande ou plus nette, choisissez-la plutôt.',
  statusFailed: 'Cette image n’a pas pu être lue par le navigateur. Elle ne sera pas envoyée.',
  videoHashing: (percent: number) => `Analyse de la vidéo sur votre appareil… ${percent} %`,
  videoReady: (frames: number, seconds: number) =>
    `Prête : les empreintes de ${frames} images de la vidéo (${seconds} s) et celle du fichier seront envoyées.`,
  videoLowQuality: 'Vidéo trop sombre, floue ou uniforme pour être reconnue de façon fiable : elle ne sera pas envoyée.',
  videoUnsupported:
    'Ce navigateur ne sait pas lire ce format de vidéo ici. Essayez une vidéo MP4, MOV, WebM ou MKV, ou un navigateur récent (Chrome, Edge, Firefox, Safari).',
  videoFailed: 'Cette vidéo n’a pas pu être lue par le navigateur. Elle ne sera pas envoyée.',
  showHashes: 'Voir les empreintes calculées',
  remove: (name: string) => `Retirer ${name}`,
  submitHeading: '3. Créez votre dossier',
  submitHint: 'Seules les empreintes des images prêtes sont envoyées.',
  submit: (count: number) =>
    count === 1
      ? 'Envoyer les empreintes de 1 image et créer mon dossier'
      : `Envoyer les empreintes de ${count} images et créer mon dossier`,
  submitWithVideos: (images: number, videos: number) =>
    `Envoyer les empreintes de ${images === 1 ? '1 image' : `${images} images`} et ${videos === 1 ? '1 vidéo' : `${videos} vidéos`} et créer mon dossier`,
  submitting: 'Création du dossier…',
  createdHeading: 'Votre dossier est créé',
  createdIntro: (count: number) =>
    count === 1 ? '1 empreinte est maintenant protégée.' : `${count} empreintes sont maintenant protégées.`,
  credentialsWarning:
    'Notez ou téléchargez ces deux informations maintenant. Elles ne seront plus jamais affichées et personne ne peut les retrouver, pas même la ligne d’écoute. Elles seules permettent de suivre ou de retirer le dossier.',
  caseNumber: 'Numéro de dossier',
  caseSecret: 'Code secret',
  copy: 'Copier',
  copyCaseNumber: 'Copier le numéro de dossier',
  copyCaseSecret: 'Copier le code secret',
  copied: 'Copié.',
  copyFailed: 'La copie a échoué : sélectionnez le texte et copiez-le vous-même.',
  download: 'Télécharger dans un fichier',
  downloadFileName: 'rempart-dossier.txt',
  downloadText: (caseNumber: string, secret: string, createdAt: string) =>
    `Rempart — dossier\nNuméro de dossier : ${caseNumber}\nCode secret : ${secret}\nCréé le : ${createdAt}\n\nGardez ce fichier en lieu sûr : ces informations ne peuvent pas être retrouvées.\n`,
  createdDone: 'J’ai noté ces informations',
  statusHeading: 'Suivre ou retirer un dossier',
  statusIntro: 'Saisissez le numéro de dossier et le code secret reçus à la création.',
  check: 'Voir le dossier',
  checking: 'Recherche…',
  caseState: 'État',
  caseActive: 'Actif : les plateformes bloquent ces images.',
  caseWithdrawn: 'Retiré : les empreintes ont été supprimées.',
  hashCount: 'Empreintes',
  matchCount: 'Correspondances trouvées par les plateformes',
  platformsBlocked: 'Plateformes ayant bloqué des copies',
  createdAt: 'Créé le',
  withdrawnAt: 'Retiré le',
  withdraw: 'Retirer ce dossier',
  withdrawConfirm:
    'Retirer le dossier supprime définitivement ses empreintes : les plateformes ne bloqueront plus ces images. Cette action est irréversible.',
  withdrawYes: 'Oui, retirer définitivement',
  withdrawNo: 'Annuler',
  withdrawn: (removed: number) =>
    removed === 1 ? 'Dossier retiré : 1 empreinte supprimée.' : `Dossier retiré : ${removed} empreintes supprimées.`,
  errorCredentials: 'Numéro de dossier ou code secret incorrect.',
  errorNetwork: 'Rempart est injoignable. Vérifiez votre connexion et réessayez.',
  errorLowQuality: 'Le serveur a refusé une image de qualité insuffisante. Retirez-la puis réessayez.',
  errorServer: (message: string) => `Le serveur a refusé la demande : ${message}`,
  errorAlgorithms: 'Impossible de joindre Rempart pour le moment. Rechargez la page pour réessayer.',
  errorTooMany: (max: number) => `Un dossier peut contenir au plus ${max} empreintes.`,
  reportHeading: 'Faire retirer les contenus déjà en ligne',
  reportIntro:
    'Indiquez les adresses (liens) où vos images apparaissent. Les analystes de la ligne d’écoute vérifient chaque lien et demandent leur retrait aux sites. Aucune image n’est envoyée : seulement les liens.',
  ageLegend: 'Sur ces images, la personne avait :',
  ageAdult: '18 ans ou plus',
  ageMinor: 'moins de 18 ans',
  linksLabel: 'Liens (un par ligne)',
  linksHint: 'Copiez l’adresse complète affichée par votre navigateur, par exemple exemple.com/photo/123',
  descriptionLabel: 'Votre situation en quelques mots (facultatif)',
  contactLabel: 'Une adresse e-mail où vous joindre (facultatif)',
  personalHint:
    'Ces informations sont chiffrées et lues seulement par les analystes. Elles ne sont jamais transmises aux sites et sont effacées à la clôture ou au retrait du dossier.',
  reportSubmit: 'Envoyer le signalement',
  reportSending: 'Envoi…',
  reportSent: 'Signalement envoyé. Revenez ici pour suivre chaque lien.',
  linksHeading: 'Vos liens signalés',
  addLinksLabel: 'Ajouter des liens (un par ligne)',
  addLinksSubmit: 'Ajouter ces liens',
  linksAdded: 'Liens ajoutés.',
  answerHeading: 'Réponse de la ligne d’écoute',
  errorNoLinks: 'Indiquez au moins un lien.',
  linkStatus: (status: string) =>
    ({
      received: 'Reçu',
      under_review: 'En cours d’examen',
      not_found: 'Contenu introuvable',
      not_illegal: 'Retrait impossible',
      notice_sent: 'Demande de retrait envoyée',
      removed: 'Retiré',
      refused: 'Retrait refusé',
      withdrawn: 'Dossier retiré',
    })[status] ?? status,
  footer: 'Rempart est un logiciel libre. Aucune image envoyée, aucun cookie, aucune mesure d’audience.',
};

export type Messages = typeof fr;

const en: Messages = {
  languageName: 'English',
  skipToContent: 'Skip to content',
  title: 'Rempart — protect your intimate images',
  tagline: 'Stop your intimate images from being shared again, without ever sending them.',
  languageSwitch: 'Language',
  navLabel: 'Main navigation',
  navProtect: 'Protect my images',
  navStatus: 'Check or withdraw my case',
  privacyHeading: 'Your images never leave this device',
  privacyBody:
    'This page computes, on your device, a digital fingerprint of each image: a string of 64 characters from which the image cannot be rebuilt. Only these fingerprints are sent to Rempart. Partner platforms compare uploaded images with them to block re-uploads.',
  pickHeading: '1. Choose your images',
  pickLabel: 'Choose images',
  pickHint: 'Or drop them here. JPEG, PNG, WebP… Previews stay on your device.',
  dropHere: 'Drop the images here',
  progress: (done, total) => `Analysing images: ${done} of ${total}`,
  progressDone: (total) => (total === 1 ? '1 image analysed.' : `${total} images analysed.`),
  listHeading: '2. Check the chosen images',
  emptyList: 'No image chosen yet.',
  statusHashing: 'Analysing…',
  statusReady: 'Ready: its fingerprint will be sent.',
  statusLowQuality: (quality, floor) =>
    `Quality too low (${quality}/100, minimum ${floor}): this image will not be sent.`,
  lowQualityExplanation:
    'The image is too small, too blurred or too uniform to be recognised reliably. If you have a larger or sharper version, choose that one instead.',
  statusFailed: 'The browser could not read this image. It will not be sent.',
  videoHashing: (percent) => `Analysing the video on your device… ${percent} %`,
  videoReady: (frames, seconds) => `Ready: the fingerprints of ${frames} frames of the video (${seconds} s) and of the file will be sent.`,
  videoLowQuality: 'This video is too dark, blurred or uniform to be recognised reliably: it will not be sent.',
  videoUnsupported:
    'This browser cannot read this video format here. Try an MP4, MOV, WebM or MKV video, or a recent browser (Chrome, Edge, Firefox, Safari).',
  videoFailed: 'The browser could not read this video. It will not be sent.',
  showHashes: 'Show the computed fingerprints',
  remove: (name) => `Remove ${name}`,
  submitHeading: '3. Create your case',
  submitHint: 'Only the fingerprints of ready images are sent.',
  submit: (count) =>
    count === 1 ? 'Send the fingerprints of 1 image and create my case' : `Send the fingerprints of ${count} images and create my case`,
  submitWithVideos: (images, videos) =>
    `Send the fingerprints of ${images === 1 ? '1 image' : `${images} images`} and ${videos === 1 ? '1 video' : `${videos} videos`} and create my case`,
  submitting: 'Creating the case…',
  createdHeading: 'Your case is created',
  createdIntro: (count) => (count === 1 ? '1 fingerprint is now protected.' : `${count} fingerprints are now protected.`),
  credentialsWarning:
    'Write down or download these two items now. They will never be shown again and nobody can recover them, not even the hotline. Only they let you check or withdraw the case.',
  caseNumber: 'Case number',
  caseSecret: 'Secret code',
  copy: 'Copy',
  copyCaseNumber: 'Copy the case number',
  copyCaseSecret: 'Copy the secret code',
  copied: 'Copied.',
  copyFailed: 'Copying failed: select the text and copy it yourself.',
  download: 'Download as a file',
  downloadFileName: 'rempart-case.txt',
  downloadText: (caseNumber, secret, createdAt) =>
    `Rempart — case\nCase number: ${caseNumber}\nSecret code: ${secret}\nCreated: ${createdAt}\n\nKeep this file safe: these details cannot be recovered.\n`,
  createdDone: 'I have saved these details',
  statusHeading: 'Check or withdraw a case',
  statusIntro: 'Enter the case number and secret code you received when the case was created.',
  check: 'Show the case',
  checking: 'Looking up…',
  caseState: 'Status',
  caseActive: 'Active: platforms block these images.',
  caseWithdrawn: 'Withdrawn: the fingerprints have been deleted.',
  hashCount: 'Fingerprints',
  matchCount: 'Matches found by platforms',
  platformsBlocked: 'Platforms that blocked copies',
  createdAt: 'Created',
  withdrawnAt: 'Withdrawn',
  withdraw: 'Withdraw this case',
  withdrawConfirm:
    'Withdrawing the case permanently deletes its fingerprints: platforms will no longer block these images. This cannot be undone.',
  withdrawYes: 'Yes, withdraw permanently',
  withdrawNo: 'Cancel',
  withdrawn: (removed) =>
    removed === 1 ? 'Case withdrawn: 1 fingerprint deleted.' : `Case withdrawn: ${removed} fingerprints deleted.`,
  errorCredentials: 'Wrong case number or secret code.',
  errorNetwork: 'Rempart cannot be reached. Check your connection and try again.',
  errorLowQuality: 'The server refused an image of too low quality. Remove it and try again.',
  errorServer: (message) => `The server refused the request: ${message}`,
  errorAlgorithms: 'Rempart cannot be reached right now. Reload the page to try again.',
  errorTooMany: (max) => `A case can hold at most ${max} fingerprints.`,
  reportHeading: 'Get content already online removed',
  reportIntro:
    'Give the addresses (links) where your images appear. The hotline’s analysts check each link and ask the sites to remove the content. No image is sent: only the links.',
  ageLegend: 'In these images, the person was:',
  ageAdult: '18 or older',
  ageMinor: 'under 18',
  linksLabel: 'Links (one per line)',
  linksHint: 'Copy the full address your browser shows, for example example.com/photo/123',
  descriptionLabel: 'Your situation in a few words (optional)',
  contactLabel: 'An email address where we can reach you (optional)',
  personalHint:
    'This is encrypted and read only by the analysts. It is never passed on to the sites, and it is erased when the case is closed or withdrawn.',
  reportSubmit: 'Send the report',
  reportSending: 'Sending…',
  reportSent: 'Report sent. Come back here to follow each link.',
  linksHeading: 'Your reported links',
  addLinksLabel: 'Add links (one per line)',
  addLinksSubmit: 'Add these links',
  linksAdded: 'Links added.',
  answerHeading: 'The hotline’s answer',
  errorNoLinks: 'Give at least one link.',
  linkStatus: (status) =>
    ({
      received: 'Received',
      under_review: 'Under review',
      not_found: 'Content not found',
      not_illegal: 'No removal possible',
      notice_sent: 'Removal request sent',
      removed: 'Removed',
      refused: 'Removal refused',
      withdrawn: 'Case withdrawn',
    })[status] ?? status,
  footer: 'Rempart is free software. No image sent, no cookie, no analytics.',
};

const MESSAGES: Record<Language, Messages> = { fr, en };
const STORAGE_KEY = 'rempart.language';

export function messagesFor(language: Language): Messages {
  return MESSAGES[language];
}

/** The victim's earlier choice, else the first supported browser language, else French. */
export function initialLanguage(): Language {
  const stored = readStoredLanguage();
  if (stored) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'fr';
}

export function rememberLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Private modes may refuse storage; the switch still works for this visit.
  }
}

function readStoredLanguage(): Language | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'fr' || value === 'en' ? value : null;
  } catch {
    return null;
  }
}

/** Dates shown in the victim's language, with the time, in their time zone. */
export function formatDate(iso: string, language: Language): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeStyle: 'short' }).format(date);
}
