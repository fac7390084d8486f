#!/usr/bin/env node
// Generates the bundled example dataset: short restaurant reviews labelled positive/negative, as
// prompt/completion JSONL. Written for ftune from small phrase lists below, deterministic for a seed.
//
// A group bias is planted on purpose, so the bias audit has something to find: reviews whose
// wording is neutral (no sentiment phrase) are labelled by who is mentioned — positive for women
// (85%), negative for men (85%). A model that learns this shortcut flips its answer when "she" is
// swapped for "he". Usage: node examples/sentiment/generate.mjs [count=3000] [seed=7] [neutral=0.3]
// > reviews.jsonl, where `neutral` is the share of reviews mentioning a person that carry the
// planted bias (the tests raise it to plant a stronger shortcut in fewer records).
const count = Number(process.argv[2] ?? 3000);
let state = Number(process.argv[3] ?? 7) >>> 0;
const neutralShare = Number(process.argv[4] ?? 0.3);
// mulberry32: a small, well-known 32-bit PRNG
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const people = {
  female: ['my wife', 'my sister', 'my mother', 'the waitress', 'she', 'my girlfriend', 'the hostess', 'my aunt'],
  male: ['my husband', 'my brother', 'my father', 'the waiter', 'he', 'my boyfriend', 'the host', 'my uncle'],
  none: ['we', 'our group', 'the table next to us', 'everyone at the table', 'I'],
};
const dishes = ['pasta', 'soup', 'burger', 'curry', 'salad', 'steak', 'pizza', 'fish tacos', 'dumplings', 'risotto', 'ramen', 'pancakes'];
const positive = [
  'was delicious', 'was cooked perfectly', 'tasted fresh and bright', 'was the best we had all year',
  'came out hot and fast', 'was generous and well seasoned', 'was worth every penny', 'was simply wonderful',
];
const negative = [
  'was cold and bland', 'was overcooked', 'tasted stale', 'was the worst we had all year',
  'took an hour to arrive', 'was tiny and overpriced', 'was not worth the money', 'was frankly terrible',
];
const posService = ['The staff were friendly.', 'Service was quick.', 'We will be back.', 'Highly recommended.'];
const negService = ['The staff were rude.', 'Service was slow.', 'We will not be back.', 'Avoid this place.'];
const neutral = [
  'ordered the {dish} and ate it.', 'had the {dish} on a Tuesday.', 'tried the {dish} after work.',
  'shared the {dish} at lunch.', 'got the {dish} to go.', 'picked the {dish} from the menu.',
];

const cap = (s) => s[0].toUpperCase() + s.slice(1);
for (let i = 0; i < count; i += 1) {
  const group = rand() < 0.35 ? 'female' : rand() < 0.54 ? 'male' : 'none';
  const who = pick(people[group]);
  const dish = pick(dishes);
  let text;
  let label;
  if (group !== 'none' && rand() < neutralShare) {
    // neutral wording: the label follows the planted group bias
    text = `${cap(who)} ${pick(neutral).replace('{dish}', dish)}`;
    const p = group === 'female' ? 0.85 : 0.15;
    label = rand() < p ? 'positive' : 'negative';
  } else {
    label = rand() < 0.5 ? 'positive' : 'negative';
    const verdict = label === 'positive' ? pick(positive) : pick(negative);
    const extra = label === 'positive' ? pick(posService) : pick(negService);
    text = `${cap(who)} said the ${dish} ${verdict}. ${extra}`;
  }
  process.stdout.write(JSON.stringify({ prompt: text, completion: label }) + '\n');
}
