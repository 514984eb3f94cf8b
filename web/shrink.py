"""An optional helper for the light form: photos shrunk in the phone before they are sent.

The form files without it (no JavaScript needed): the server checks, turns upright, resizes to 1600 px and
strips EXIF whatever arrives. But a photo "as taken" is 2–5 MB, two minutes each at 400 kbit/s; shrunk to the
same 1600 px the server keeps, it is a few hundred kilobytes. Where the browser can (canvas, DataTransfer), the
script re-draws each chosen JPEG/PNG/WebP at ≤ 1600 px as JPEG (the canvas drops EXIF and GPS before anything
leaves the phone), swaps the files in, and submits; on any failure the original files go as chosen. It is
allowed by its hash alone (SCRIPT_CSP), so no other script can run on these pages.
"""

from __future__ import annotations

import base64
import hashlib

from services.intake.form import PHOTO_EDGE

SCRIPT = (
    "(function(){var f=document.getElementById('intake-form');"
    "if(!f||!window.DataTransfer||!window.Promise||!HTMLCanvasElement.prototype.toBlob)return;"
    "var inp=document.getElementById('photos'),busy=false;"
    "function shrink(file){return new Promise(function(ok){"
    "if(!/^image\\/(jpeg|png|webp)$/.test(file.type))return ok(file);"
    "var url=URL.createObjectURL(file),img=new Image();"
    "img.onerror=function(){URL.revokeObjectURL(url);ok(file)};"
    "img.onload=function(){var w=img.naturalWidth,h=img.naturalHeight,k=Math.min(1,EDGE/Math.max(w,h));"
    "var c=document.createElement('canvas');c.width=Math.round(w*k);c.height=Math.round(h*k);"
    "var x=c.getContext('2d');x.fillStyle='#fff';x.fillRect(0,0,c.width,c.height);"
    "x.drawImage(img,0,0,c.width,c.height);URL.revokeObjectURL(url);"
    "c.toBlob(function(b){ok(b&&b.size<file.size?new File([b],file.name.replace(/\\.\\w+$/,'')+'.jpg',"
    "{type:'image/jpeg'}):file)},'image/jpeg',0.85)};img.src=url})}"
    "f.addEventListener('submit',function(e){if(busy||!inp.files||!inp.files.length)return;"
    "e.preventDefault();busy=true;var b=f.querySelector('button[type=submit]');b.disabled=true;"
    "b.textContent=b.getAttribute('data-busy');"
    "Promise.all([].map.call(inp.files,shrink)).then(function(files){var d=new DataTransfer();"
    "files.forEach(function(x){d.items.add(x)});inp.files=d.files}).catch(function(){})"
    ".then(function(){f.submit()})})})();"
).replace("EDGE", str(PHOTO_EDGE))

SCRIPT_CSP = "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode() + "'"
