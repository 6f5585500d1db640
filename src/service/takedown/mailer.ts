/**
 * Sends email notices through the SMTP server the operator configures
 * (REMPART_SMTP_URL, e.g. smtps://user:password@smtp.example.org:465), with nodemailer.
 * Without it, email notices are prepared for an analyst to send by hand.
 */
import nodemailer, { type Transporter } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Stable id of what is sent (the notice ref), as a header for threading replies. */
  reference: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export function smtpMailer(smtpUrl: string, from: { name: string; email: string }): Mailer {
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: { name: from.name, address: from.email },
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        headers: { 'X-Rempart-Notice': mail.reference },
      });
      return { messageId: String(info.messageId) };
    },
    close() {
      transport.close();
    },
  };
}
