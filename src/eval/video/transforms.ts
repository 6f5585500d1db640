/**
 * The video transformations `rempart eval-video` applies, as data: each is the ffmpeg
 * options that turn an original into what a platform would receive. Outputs go to a pipe
 * (fragmented MP4 or WebM), so variants exist only in memory.
 */

/** What a transformation may depend on. */
export interface SourceInfo {
  /** Seconds. */
  duration: number;
}

export interface VideoTransformation {
  readonly name: string;
  /** Group in the report; targets are set per family. */
  readonly family: 're-encode' | 'resize' | 'trim' | 'clip' | 'frame-rate' | 'crop' | 'crop-other' | 'caption' | 'mirror' | 'chain';
  readonly description: string;
  /** Input options (before -i): seeking. */
  readonly input?: (source: SourceInfo) => string[];
  /** Output options: filters, duration, codec. */
  readonly output: (source: SourceInfo) => string[];
  /** Container of the output. */
  readonly format: 'mp4' | 'webm';
}

const h264 = (...rate: string[]) => ['-c:v', 'libx264', '-preset', 'veryfast', ...(rate.length ? rate : ['-crf', '23']), '-pix_fmt', 'yuv420p'];
const bitrate = (kbps: number) => h264('-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${2 * kbps}k`);
const filters = (...chain: string[]) => ['-vf', chain.join(',')];

/** The meme caption bar of the image evaluation (18 % of the height, white, added on top). */
export const CAPTION_FRACTION = 0.18;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

function caption(text: string): string[] {
  const pad = `pad=iw:ceil(ih/(1-${CAPTION_FRACTION})/2)*2:0:oh-ih:white`;
  const label = `drawtext=fontfile=${FONT}:text='${text}':fontcolor=black:fontsize=h*${(CAPTION_FRACTION * 0.5).toFixed(3)}:x=(w-tw)/2:y=h*${(CAPTION_FRACTION * 0.3).toFixed(3)}`;
  return [pad, label];
}

/** The suite; names are stable so results stay comparable between runs. */
export const VIDEO_TRANSFORMATIONS: readonly VideoTransformation[] = [
  { name: 'h264-2000k', family: 're-encode', description: 'H.264 at 2 Mbit/s', format: 'mp4', output: () => bitrate(2000) },
  { name: 'h264-800k', family: 're-encode', description: 'H.264 at 800 kbit/s', format: 'mp4', output: () => bitrate(800) },
  { name: 'h264-250k', family: 're-encode', description: 'H.264 at 250 kbit/s (heavy artefacts)', format: 'mp4', output: () => bitrate(250) },
  {
    name: 'vp9-webm',
    family: 're-encode',
    description: 'VP9 in WebM at 600 kbit/s',
    format: 'webm',
    output: () => ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-pix_fmt', 'yuv420p'],
  },
  { name: 'resize-480p', family: 'resize', description: '480 px high, H.264', format: 'mp4', output: () => [...filters('scale=-2:480'), ...h264()] },
  { name: 'resize-240p', family: 'resize', description: '240 px high, H.264', format: 'mp4', output: () => [...filters('scale=-2:240'), ...h264()] },
  { name: 'trim-start-3s', family: 'trim', description: 'first 3 s cut off', format: 'mp4', input: () => ['-ss', '3'], output: () => h264() },
  {
    name: 'trim-end-3s',
    family: 'trim',
    description: 'last 3 s cut off',
    format: 'mp4',
    output: ({ duration }) => ['-t', (duration - 3).toFixed(3), ...h264()],
  },
  {
    name: 'trim-both-1.3s',
    family: 'trim',
    description: '1.3 s cut off each end',
    format: 'mp4',
    input: () => ['-ss', '1.3'],
    output: ({ duration }) => ['-t', (duration - 2.6).toFixed(3), ...h264()],
  },
  {
    name: 'clip-10s-middle',
    family: 'clip',
    description: 'a 10 s clip from the middle',
    format: 'mp4',
    input: ({ duration }) => ['-ss', Math.max(0, (duration - 10) / 2).toFixed(3)],
    output: () => ['-t', '10', ...h264()],
  },
  { name: 'fps-15', family: 'frame-rate', description: '15 frames per second', format: 'mp4', output: () => [...filters('fps=15'), ...h264()] },
  { name: 'fps-24', family: 'frame-rate', description: '24 frames per second', format: 'mp4', output: () => [...filters('fps=24'), ...h264()] },
  {
    name: 'crop-5pc',
    family: 'crop',
    description: '5 % cropped off each side',
    format: 'mp4',
    output: () => [...filters('crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2'), ...h264()],
  },
  // Crops the registered window (90 % of each side) is not made for: are they caught anyway?
  {
    name: 'crop-3pc',
    family: 'crop-other',
    description: '3 % cropped off each side',
    format: 'mp4',
    output: () => [...filters('crop=trunc(iw*0.94/2)*2:trunc(ih*0.94/2)*2'), ...h264()],
  },
  {
    name: 'crop-8pc',
    family: 'crop-other',
    description: '8 % cropped off each side',
    format: 'mp4',
    output: () => [...filters('crop=trunc(iw*0.84/2)*2:trunc(ih*0.84/2)*2'), ...h264()],
  },
  {
    name: 'crop-bottom-10pc',
    family: 'crop-other',
    description: '10 % cropped off the bottom (a watermark or a subtitle strip removed)',
    format: 'mp4',
    output: () => [...filters('crop=iw:trunc(ih*0.9/2)*2:0:0'), ...h264()],
  },
  {
    name: 'caption-bar',
    family: 'caption',
    description: `meme caption bar added on top (${CAPTION_FRACTION * 100} % of the height)`,
    format: 'mp4',
    output: () => [...filters(...caption('NO WAY')), ...h264()],
  },
  { name: 'mirror', family: 'mirror', description: 'mirrored left to right', format: 'mp4', output: () => [...filters('hflip'), ...h264()] },
  {
    name: 'social-480p-fps24-500k',
    family: 'chain',
    description: 'what a platform does: 480 px, 24 fps, H.264 at 500 kbit/s',
    format: 'mp4',
    output: () => [...filters('scale=-2:480', 'fps=24'), ...bitrate(500)],
  },
];

const BY_NAME = new Map(VIDEO_TRANSFORMATIONS.map((t) => [t.name, t]));

export function getVideoTransformation(name: string): VideoTransformation {
  const found = BY_NAME.get(name);
  if (!found) throw new RangeError(`unknown video transformation "${name}"; known: ${[...BY_NAME.keys()].join(', ')}`);
  return found;
}

/** The ffmpeg arguments that read `inputPath` and write the variant to stdout. */
export function variantArgs(transformation: VideoTransformation, inputPath: string, source: SourceInfo): string[] {
  const container =
    transformation.format === 'webm' ? ['-f', 'webm'] : ['-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4'];
  return [
    ...(transformation.input?.(source) ?? []),
    '-i', inputPath,
    '-map', '0:v:0', '-an',
    ...transformation.output(source),
    ...container,
    'pipe:1',
  ];
}
