"""scikit-learn's CountVectorizer on pre-tokenized documents, for Ember's differential tests:
prints the vocabulary and each document's term counts as JSON.

Usage: /usr/bin/python3 sklearn_countvec.py IGNORED.csv DOCS.txt MIN_DF MAX_DF
  DOCS.txt: a document per line, tokens separated by spaces. MIN_DF and MAX_DF as Spark's
  (a count when >= 1, else a share), passed to scikit-learn as int or float alike.
"""
import json
import sys

from sklearn.feature_extraction.text import CountVectorizer


def as_df(text):
    v = float(text)
    return int(v) if v >= 1 else v


def main():
    docs = [line.split() for line in open(sys.argv[2]).read().splitlines()]
    min_df, max_df = as_df(sys.argv[3]), as_df(sys.argv[4])
    model = CountVectorizer(analyzer=lambda d: d, min_df=min_df, max_df=max_df)
    x = model.fit_transform(docs).tocsr()
    vocab = model.get_feature_names_out().tolist()
    rows = []
    for i in range(x.shape[0]):
        start, end = x.indptr[i], x.indptr[i + 1]
        rows.append({vocab[j]: int(v) for j, v in zip(x.indices[start:end], x.data[start:end])})
    print(json.dumps({"vocabulary": vocab, "counts": rows}))


if __name__ == "__main__":
    main()
