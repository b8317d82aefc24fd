/** Incoming calls and the in-call view, over every page of a signed-in person. */
export default function CallLayer() {
  return null;
}
