import type Sharp from 'sharp';
import { requirePackage } from './lazy.js';

/**
 * sharp, loaded at its first use: libvips and its thread pool cost an idle server ~20 MB that a node which
 * never processes an image (or has not yet) need not carry. Called exactly as sharp is.
 */
export const sharp = ((...args: Parameters<typeof Sharp>) => requirePackage<typeof Sharp>('sharp')(...args)) as typeof Sharp;
