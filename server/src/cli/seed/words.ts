/**
 * The vocabulary of the seed data: names, topics with their words and tags, and sentence frames. Kept
 * small and plain so that search has realistic text to rank (stemmable English words, shared and
 * distinctive terms, names that typos can reach) without shipping a corpus.
 */
export const FIRST_NAMES = [
  'olivia', 'emma', 'amelia', 'sophia', 'mia', 'isabella', 'ava', 'luna', 'chloe', 'nora', 'zoe', 'maya',
  'layla', 'aria', 'ella', 'grace', 'lily', 'hazel', 'ivy', 'stella', 'violet', 'aurora', 'naomi', 'ruby',
  'liam', 'noah', 'oliver', 'elijah', 'james', 'lucas', 'mateo', 'leo', 'ezra', 'theo', 'jack', 'henry',
  'owen', 'felix', 'hugo', 'milo', 'jonas', 'rafael', 'diego', 'omar', 'kenji', 'arjun', 'sami', 'tariq',
  'priya', 'aisha', 'fatima', 'yara', 'ingrid', 'freya', 'elena', 'carmen', 'lucia', 'mei', 'hana', 'sofia',
] as const;

export const LAST_NAMES = [
  'smith', 'johnson', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez', 'lopez', 'wilson', 'anderson',
  'thomas', 'taylor', 'moore', 'jackson', 'martin', 'lee', 'perez', 'thompson', 'white', 'harris', 'clark',
  'lewis', 'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen', 'hill', 'flores',
  'green', 'adams', 'nelson', 'baker', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts', 'kowalski',
  'novak', 'silva', 'santos', 'rossi', 'russo', 'muller', 'schmidt', 'dubois', 'laurent', 'tanaka', 'sato',
  'kim', 'park', 'chen', 'wang', 'singh', 'patel', 'khan', 'ahmed', 'okafor', 'mensah', 'larsen', 'berg',
] as const;

export interface Topic {
  tag: string;
  /** Words a bio or post of this topic draws from (nouns and gerunds, so stemming matters). */
  words: readonly string[];
}

export const TOPICS: readonly Topic[] = [
  { tag: 'yoga', words: ['yoga', 'flow', 'breathing', 'stretching', 'meditation', 'balance', 'mat', 'vinyasa', 'mindfulness'] },
  { tag: 'fitness', words: ['workout', 'training', 'strength', 'cardio', 'running', 'squats', 'muscles', 'gym', 'marathon'] },
  { tag: 'cooking', words: ['recipes', 'cooking', 'kitchen', 'pasta', 'spices', 'dinner', 'soup', 'curry', 'grilling'] },
  { tag: 'baking', words: ['baking', 'bread', 'sourdough', 'cakes', 'pastry', 'croissants', 'oven', 'cookies', 'dough'] },
  { tag: 'art', words: ['painting', 'sketches', 'watercolor', 'canvas', 'portraits', 'drawing', 'landscapes', 'ink', 'gallery'] },
  { tag: 'music', words: ['songs', 'guitar', 'piano', 'singing', 'concerts', 'beats', 'lyrics', 'melodies', 'vinyl'] },
  { tag: 'photography', words: ['photos', 'camera', 'lenses', 'portraits', 'sunsets', 'film', 'editing', 'street', 'light'] },
  { tag: 'travel', words: ['travel', 'journeys', 'islands', 'mountains', 'hostels', 'beaches', 'passport', 'roadtrip', 'cities'] },
  { tag: 'gaming', words: ['gaming', 'streams', 'speedruns', 'consoles', 'strategy', 'quests', 'tournaments', 'controllers', 'levels'] },
  { tag: 'fashion', words: ['fashion', 'outfits', 'styling', 'vintage', 'sewing', 'fabrics', 'runway', 'sneakers', 'jewelry'] },
  { tag: 'gardening', words: ['gardening', 'plants', 'seedlings', 'tomatoes', 'compost', 'flowers', 'herbs', 'greenhouse', 'orchids'] },
  { tag: 'dance', words: ['dancing', 'choreography', 'salsa', 'ballet', 'hiphop', 'rhythm', 'tango', 'routines', 'studio'] },
  { tag: 'comedy', words: ['comedy', 'jokes', 'sketches', 'standup', 'pranks', 'parody', 'laughter', 'improv', 'memes'] },
  { tag: 'coding', words: ['coding', 'programming', 'javascript', 'databases', 'robots', 'algorithms', 'startups', 'debugging', 'servers'] },
  { tag: 'poetry', words: ['poems', 'poetry', 'verses', 'haiku', 'writing', 'stories', 'notebooks', 'novels', 'words'] },
  { tag: 'pets', words: ['puppies', 'kittens', 'dogs', 'cats', 'training', 'walks', 'rescue', 'parrots', 'aquarium'] },
  { tag: 'wellness', words: ['wellness', 'sleep', 'skincare', 'nutrition', 'healing', 'routines', 'journaling', 'calm', 'selfcare'] },
  { tag: 'books', words: ['books', 'reading', 'novels', 'libraries', 'fantasy', 'mysteries', 'reviews', 'classics', 'poetry'] },
];

/** Sentence frames for bios: `{w}` is a word of the creator's topics, `{t}` a topic tag. */
export const BIO_FRAMES = [
  'I share {w} and {w} every week.',
  'Daily {w}, honest {w} and a lot of {w}.',
  'Welcome! My page is about {t}: {w}, {w} and behind the scenes.',
  'Teaching {w} for beginners and {w} for everyone else.',
  'Lover of {w}. Subscribers get my {w} first.',
  'Ten years of {w} and still learning {w}.',
] as const;

/** Sentence frames for posts. */
export const POST_FRAMES = [
  'New {w} today! Tell me what you think about the {w}.',
  'Behind the scenes of my {w}: {w}, {w} and coffee.',
  'Quick tip on {w}: start with {w}, then {w}.',
  'Sunday {w} session, with {w} for the subscribers.',
  'Finally tried {w} with {w}. Not what I expected!',
  'A long read about {w} and why {w} matters.',
  'Live {w} tonight. Bring your questions about {w}.',
  'My {w} story, part two: {w} in the rain.',
] as const;

/** Filler words mixed into posts so that not every word is a topic word. */
export const FILLER = [
  'morning', 'evening', 'weekend', 'friends', 'honest', 'simple', 'favourite', 'little', 'together', 'update',
  'thanks', 'everyone', 'today', 'tomorrow', 'finally', 'again', 'together', 'quiet', 'bright', 'slow',
] as const;

export const CHAT_LINES = [
  'hey! how are you?', 'loved your last post', 'what are you up to this weekend?', 'haha that is so true',
  'want to grab coffee sometime?', 'I just got back from a trip', 'did you see the new episode?',
  'good morning :)', 'that sounds amazing', 'talk later!', 'what music are you into?', 'same here',
] as const;

export const TIER_NAMES = ['Supporter', 'Inner circle', 'VIP'] as const;

/** Coarse city centres for dating profiles (lat, lng), jittered and rounded to 0.01 degree as the API does. */
export const CITIES: ReadonlyArray<readonly [number, number]> = [
  [51.51, -0.13], [48.86, 2.35], [52.52, 13.4], [40.71, -74.01], [34.05, -118.24], [41.39, 2.17],
  [45.46, 9.19], [59.33, 18.07], [35.68, 139.69], [-33.87, 151.21], [19.43, -99.13], [-23.55, -46.63],
];

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'it', 'pt', 'ja', 'sv'] as const;
export const GENDERS = ['woman', 'man', 'nonbinary', 'other'] as const;
